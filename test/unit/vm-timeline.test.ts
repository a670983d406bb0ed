import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootTimeline } from '../../electron/core/vm/boot-timeline';
import { screenText, stripTerminal } from '../../shared/console-text';

/**
 * Recorded serial output of the fixture ISO under QEMU/TCG, chunk by chunk as the socket
 * delivered it, with the ms since QEMU started: booted from the ISO (ISOLINUX, kernel with
 * loglevel=3), and the same kernel booted directly with full kernel messages.
 */
interface Chunk {
  t: number;
  d: string;
}
const chunks = (name: string): Chunk[] => JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'vm', name), 'utf8')) as Chunk[];

function replay(name: string) {
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const tl = new BootTimeline(() => t0);
  tl.start(t0);
  for (const c of chunks(name)) tl.push(c.d, t0 + c.t);
  return tl.list;
}

describe('boot timeline', () => {
  it('reads the fixture ISO boot: bootloader, then the login prompt (loglevel=3 hides the kernel)', () => {
    const marks = replay('fixture-iso-boot.chunks.json');
    expect(marks.map((m) => [m.id, m.atMs])).toEqual([
      ['start', 0],
      ['bootloader', 138],
      ['login', 4765],
    ]);
    expect(marks[1]!.text).toMatch(/^ISOLINUX 6\.04/);
    expect(marks[2]!.text).toBe('isolab login:');
    expect(marks[2]!.at).toBe('2024-01-01T00:00:04.765Z');
  });

  it('reads a verbose kernel boot: Linux version, init, and a prompt interrupted by a kernel message', () => {
    const marks = replay('fixture-kernel-boot.chunks.json');
    expect(marks.map((m) => [m.id, m.atMs])).toEqual([
      ['start', 0],
      ['kernel', 2358],
      ['init', 3856],
      ['login', 4122],
    ]);
    expect(marks[1]!.text).toMatch(/Linux version 6\.1\.0/);
    expect(marks[2]!.text).toMatch(/Freeing unused kernel image \(initmem\) memory/);
  });

  it('finds firmware and bootloader lines of a BIOS boot, each once', () => {
    const tl = new BootTimeline(() => 0);
    tl.start(0);
    const text = 'SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n\r\niPXE (http://ipxe.org) 00:03.0 CA00 PCI2.10 PnP PMM+0FF8C8B0+0FECC8B0 CA00\r\nBooting from DVD/CD...\r\nISOLINUX 6.04 EDD 20191223 Copyright (C) 1994-2015 H. Peter Anvin et al\r\nSeaBIOS again\r\n';
    expect(tl.push(text, 40).map((m) => m.id)).toEqual(['firmware', 'bootloader']);
    expect(tl.push('[    0.000000] Linux version 4.19.202 (jenkins@ubuntu) #1 SMP\r\n[    1.2] Run /init as init process\r\n', 900).map((m) => [m.id, m.atMs])).toEqual([
      ['kernel', 900],
      ['init', 900],
    ]);
  });

  it('sees a prompt split across chunks and escape sequences, but not "Last login:"', () => {
    const tl = new BootTimeline(() => 0);
    tl.start(0);
    expect(tl.push('Welcome to Buildroot\r\nminikube log', 1)).toEqual([]);
    expect(tl.push('in: ', 2).map((m) => m.id)).toEqual(['login']);
    const tl2 = new BootTimeline(() => 0);
    tl2.start(0);
    expect(tl2.push('Last login: Mon Jan  1 00:00:00 on ttyS0\r\n# \x1b[6n', 5)).toEqual([]);
  });

  it('a guest reboot gives the marks again; a new start clears them', () => {
    const tl = new BootTimeline(() => 0);
    tl.start(0);
    tl.push('ISOLINUX 6.04\r\n', 10);
    expect(tl.reset(100).id).toBe('reset');
    expect(tl.push('ISOLINUX 6.04\r\n', 120).map((m) => m.atMs)).toEqual([120]);
    tl.start(1000);
    expect(tl.list.map((m) => m.id)).toEqual(['start']);
  });

  it('keeps a very long line from growing without end', () => {
    const tl = new BootTimeline(() => 0);
    tl.start(0);
    for (let i = 0; i < 100; i++) tl.push('x'.repeat(10_000), i);
    expect(tl.push('\r\nisolab login: ', 200).map((m) => m.id)).toEqual(['login']);
  });
});

describe('console text', () => {
  it('removes the cursor-position query and other escapes, folds CR LF', () => {
    expect(stripTerminal('root@isolab:~# \x1b[6n')).toBe('root@isolab:~# ');
    expect(stripTerminal('\x1b[1;32mok\x1b[0m \x1b]0;title\x07done \x1bc')).toBe('ok done ');
    expect(screenText('a\r\r\nb\r\nc\rd')).toBe('a\nb\nd');
    expect(screenText('long line\rshort')).toBe('shortline');
  });
});
