import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../shared/errors';
import { ChangeInput, type RemasterEvent } from '../../shared/remaster';
import { ImageRegistry } from '../../electron/core/image/registry';
import { EditManager } from '../../electron/core/remaster/edit-manager';
import { fixtureIso } from '../helpers/fixture-variant';

// The edits behind Inspect's Edit mode: kept on disk change by change, tied to the input's
// identity, replayed by a new process; checked against the real fixture ISO and xorriso.

const work = mkdtempSync(path.join(os.tmpdir(), 'isolab-edits-'));
let input = '';

function manager() {
  const cache = path.join(work, 'cache');
  return new EditManager({ dataDir: path.join(work, 'data'), images: new ImageRegistry(cache) });
}
const change = (c: unknown) => ChangeInput.parse(c);

async function failure(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('expected a LabError');
}

beforeAll(() => {
  input = path.join(work, 'input.iso');
  copyFileSync(fixtureIso(), input);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('edits', () => {
  it('keep every change on disk: a new manager (a restart) resumes the same edit with the same changes', async () => {
    const a = manager();
    const opened = await a.open(input);
    expect(opened.changes).toEqual([]);
    expect(opened.input.sha256).toMatch(/^[a-f0-9]{64}$/);
    await a.apply(opened.id, change({ op: 'write', path: '/boot/initrd/etc/VERSION', text: 'edited\n' }));
    const s = await a.apply(opened.id, change({ op: 'mkdir', path: '/boot/initrd/opt/x' }));
    expect(s.changes.map((c) => c.summary)).toEqual(['replace /boot/initrd/etc/VERSION (7 B)', 'add folder /boot/initrd/opt/x']);
    expect(s.levels).toEqual([{ path: '/boot/initrd', format: 'cpio+bzip2', appendOk: true }]);

    const b = manager();
    const resumed = await b.open(input);
    expect(resumed.id).toBe(opened.id);
    expect(resumed.changes.map((c) => c.summary)).toEqual(s.changes.map((c) => c.summary));
    const read = await b.read(opened.id, '/boot/initrd/etc/VERSION');
    expect(Buffer.from(read.base64, 'base64').toString()).toBe('edited\n');
    expect(read.changed).toBe(true);
    const untouched = await b.read(opened.id, '/boot/initrd/etc/hostname');
    expect(untouched.changed).toBe(false);
  });

  it('refuse a change that cannot be written, and keep the edit as it was', async () => {
    const m = manager();
    const { id } = await m.open(input);
    const before = (await m.get(id)).changes.length;
    const err = await failure(m.apply(id, change({ op: 'write', path: '/boot/bzImage/x', text: '1' })));
    expect(err.code).toBe('NOT_A_DIRECTORY');
    expect((await m.get(id)).changes.length).toBe(before);
  });

  it('refuse to undo a change a later one needs, and undo it once that one is gone', async () => {
    const m = manager();
    const { id } = await m.open(input);
    const s = await m.apply(id, change({ op: 'write', path: '/boot/initrd/opt/x/file', text: 'in the new folder' }));
    const mkdir = s.changes.findIndex((c) => c.summary === 'add folder /boot/initrd/opt/x');
    const err = await failure(m.undo(id, mkdir));
    expect(err.code).toBe('UNDO_BLOCKED');
    expect(err.message).toMatch(/a later change needs it/);
    const fileIndex = s.changes.length - 1;
    await m.undo(id, fileIndex);
    const after = await m.undo(id, mkdir);
    expect(after.changes.map((c) => c.summary)).toEqual(['replace /boot/initrd/etc/VERSION (7 B)']);
  });

  it('take uploads in order, refuse a chunk out of order and an upload used twice', async () => {
    const m = manager();
    const { id } = await m.open(input);
    const first = await m.upload(id, undefined, 0, Buffer.from('hello ').toString('base64'));
    const skip = await failure(m.upload(id, first.upload, 100, Buffer.from('x').toString('base64')));
    expect(skip.code).toBe('UPLOAD_OFFSET');
    const done = await m.upload(id, first.upload, first.received, Buffer.from('world').toString('base64'));
    expect(done.received).toBe(11);
    const s = await m.apply(id, change({ op: 'write', path: '/boot/initrd/root/dropped.txt', upload: first.upload }));
    expect(s.changes.at(-1)!.summary).toBe('add /boot/initrd/root/dropped.txt (11 B)');
    const unknown = await failure(m.apply(id, change({ op: 'write', path: '/boot/initrd/root/again.txt', upload: first.upload })));
    expect(unknown.code).toBe('UPLOAD_UNKNOWN');
  });

  it('list boot entries with the original and the edited command line', async () => {
    const m = manager();
    const { id } = await m.open(input);
    const [entry] = await m.bootEntries(id);
    expect(entry).toMatchObject({ loader: 'syslinux', config: '/isolinux/isolinux.cfg', label: '1', kernel: '/boot/bzImage', initrd: '/boot/initrd', cmdline: 'console=ttyS0 loglevel=3' });
    expect(entry!.notes.join(' ')).toMatch(/loglevel=3/);
    await m.apply(id, change({ op: 'cmdline', entry: entry!.id, cmdline: 'console=ttyS0 loglevel=7' }));
    const [edited] = await m.bootEntries(id);
    expect(edited).toMatchObject({ cmdline: 'console=ttyS0 loglevel=7', original: 'console=ttyS0 loglevel=3' });
  });

  it('write the new ISO with progress and a result, then refuse to write once the input was rebuilt underneath', async () => {
    const m = manager();
    const { id } = await m.open(input);
    const events: RemasterEvent[] = [];
    const out = path.join(work, 'saved.iso');
    await m.save({ id, out, mode: 'auto', overwrite: false }, (e) => events.push(e), new AbortController().signal);
    const result = events.find((e) => e.type === 'result');
    expect(result && result.type === 'result' && result.result.out).toBe(out);
    expect(events.some((e) => e.type === 'progress' && e.phase === 'iso')).toBe(true);
    expect(existsSync(out)).toBe(true);

    // The input is rebuilt in place (another build wrote it): the edit says so and writes nothing.
    writeFileSync(input, Buffer.concat([readFileSync(input), Buffer.alloc(2048)]));
    const state = await m.get(id);
    expect(state.stale).toMatch(/changed since this edit began/);
    const err = await failure(m.save({ id, out: path.join(work, 'stale.iso'), mode: 'auto', overwrite: false }, () => undefined, new AbortController().signal));
    expect(err.code).toBe('INPUT_CHANGED');
    expect(readdirSync(work).filter((f) => f.includes('stale'))).toEqual([]);
  }, 120_000);

  it('cancel leaves nothing behind', async () => {
    const m = manager();
    const { id } = await m.discard((await m.open(input)).id);
    await m.apply(id, change({ op: 'write', path: '/boot/initrd/etc/VERSION', text: 'c' }));
    const ac = new AbortController();
    const out = path.join(work, 'cancelled.iso');
    const p = m.save({ id, out, mode: 'repack', overwrite: false }, (e) => e.type === 'progress' && ac.abort(), ac.signal);
    const err = await failure(p);
    expect(err.code).toBe('CANCELLED');
    expect(readdirSync(work).filter((f) => f.includes('cancelled'))).toEqual([]);
  }, 120_000);
});
