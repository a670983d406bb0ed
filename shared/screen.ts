import { z } from 'zod';
import { None } from './schemas';
import { VmName } from './vm';

/**
 * A VM's screen (its display, not the serial console), as GNOME Boxes and virt-manager show
 * it: QEMU serves the display as VNC on a unix socket in the VM's folder, and the lab core
 * carries the RFB byte stream over the contract, so the renderer's VNC client (noVNC) needs
 * no socket of its own and both transports work alike. Bytes travel as base64, one string per
 * chunk (a `json` stream keeps the chunks apart; a `text` stream would merge them).
 */

export const ScreenId = z.string().regex(/^[a-f0-9]{12}$/, 'must be a screen id from vm.screen');

/** Raw bytes per `vm.screenInput` (noVNC's messages are a few bytes; a pasted clipboard is the big one). */
export const SCREEN_INPUT_MAX_BYTES = 512 * 1024;

export const ScreenEvent = z.discriminatedUnion('t', [
  /** Connected to the VM's display: `vm.screenInput` with this id writes to it. */
  z.object({ t: z.literal('open'), screenId: ScreenId }),
  /** Bytes from the VNC server, in order. */
  z.object({ t: z.literal('data'), b64: z.string() }),
]);
export type ScreenEvent = z.infer<typeof ScreenEvent>;

export const screenRequests = {
  /** Bytes for the VNC server of an open `vm.screen` (in the order sent). */
  'vm.screenInput': {
    args: z.object({ screenId: ScreenId, b64: z.string().max(Math.ceil(SCREEN_INPUT_MAX_BYTES / 3) * 4) }).strict(),
    result: None,
  },
} as const;

export const screenEvents = {
  /**
   * One RFB connection to the VM's display: `open`, then the server's bytes. Ends when the VM
   * stops or the subscriber leaves; ends at once with a LabError whose message says why when
   * there is no screen to show (VirtualBox, a VM made before screens, not running).
   */
  'vm.screen': { kind: 'json', args: z.object({ name: VmName }).strict(), data: ScreenEvent },
} as const;
