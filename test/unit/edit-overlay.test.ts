import { describe, expect, it } from 'vitest';
import type { EntryView } from '../../shared/image';
import type { Change, ChangeView } from '../../shared/remaster';
import { buildOverlay, editedChildren, editedEntry, isHidden, modeString } from '../../renderer/src/store/edit-overlay';
import { sendUpload, tooBig } from '../../renderer/src/store/edit-upload';
import { UPLOAD_CHUNK_BYTES, UPLOAD_MAX_BYTES } from '../../shared/remaster';

const entry = (path: string, type: EntryView['type'] = 'file', size = 10): EntryView => ({
  path,
  name: path.slice(path.lastIndexOf('/') + 1),
  type,
  size,
  mode: type === 'dir' ? 0o755 : 0o644,
  modeString: modeString(type, type === 'dir' ? 0o755 : 0o644),
  uid: 0,
  gid: 0,
});

// The input as the tree listed it.
const input = new Map<string, EntryView>([
  ['/etc', entry('/etc', 'dir')],
  ['/etc/VERSION', entry('/etc/VERSION')],
  ['/etc/motd', entry('/etc/motd')],
  ['/root', entry('/root', 'dir')],
]);
const lookup = (p: string) => input.get(p);
const inInput = (p: string) => input.has(p);
const views = (changes: Change[], replaces: string[] = []): ChangeView[] =>
  changes.map((change, index) => ({ index, change, summary: change.op, level: '', path: 'path' in change ? change.path : undefined, replaces: 'path' in change && replaces.includes(change.path) }));

describe('edit overlay', () => {
  it('a replaced file keeps its place and shows its new size; an added one is listed under its folder', () => {
    const o = buildOverlay(views([{ op: 'write', path: '/etc/VERSION', blob: 'b', size: 42 }, { op: 'write', path: '/root/hello.txt', blob: 'c', size: 5 }], ['/etc/VERSION']), inInput);
    expect(o.marks.get('/etc/VERSION')).toBe('changed');
    expect(editedEntry(o, '/etc/VERSION', lookup)?.size).toBe(42);
    expect(o.marks.get('/root/hello.txt')).toBe('added');
    expect(editedChildren(o, '/root', [])).toEqual(['/root/hello.txt']);
    expect(editedChildren(o, '/etc', ['/etc/VERSION', '/etc/motd'])).toEqual(['/etc/VERSION', '/etc/motd']);
  });

  it('a delete hides the entry and everything under it; writing the path again brings a new one', () => {
    let o = buildOverlay(views([{ op: 'rm', path: '/etc' }]), inInput);
    expect(isHidden(o, '/etc/motd')).toBe(true);
    expect(editedEntry(o, '/etc', lookup)).toBeUndefined();
    expect(editedChildren(o, '/', ['/etc', '/root'])).toEqual(['/root']);
    o = buildOverlay(views([{ op: 'rm', path: '/etc/motd' }, { op: 'write', path: '/etc/motd', blob: 'x', size: 3 }]), inInput);
    expect(editedEntry(o, '/etc/motd', lookup)?.size).toBe(3);
    expect(editedChildren(o, '/etc', ['/etc/VERSION', '/etc/motd'])).toEqual(['/etc/VERSION', '/etc/motd']);
  });

  it('deleting what the edit added shows nothing of the input in its place', () => {
    const o = buildOverlay(views([{ op: 'mkdir', path: '/srv' }, { op: 'write', path: '/srv/a', blob: 'b', size: 1 }, { op: 'rm', path: '/srv' }]), inInput);
    expect(o.added.size).toBe(0);
    expect(editedChildren(o, '/', ['/etc', '/root'])).toEqual(['/etc', '/root']);
  });

  it('a rename moves the entry, with its changes, to the new name', () => {
    const o = buildOverlay(views([{ op: 'chmod', path: '/etc/motd', mode: 0o600 }, { op: 'rename', path: '/etc/motd', to: '/etc/motd.old' }]), inInput);
    expect(isHidden(o, '/etc/motd')).toBe(true);
    const moved = editedEntry(o, '/etc/motd.old', lookup);
    expect(moved?.name).toBe('motd.old');
    expect(moved?.modeString).toBe('-rw-------');
    expect(o.marks.get('/etc/motd.old')).toBe('renamed');
    expect(editedChildren(o, '/etc', ['/etc/VERSION', '/etc/motd'])).toEqual(['/etc/VERSION', '/etc/motd.old']);
  });

  it('chmod and chown patch the entry; mode strings follow ls', () => {
    const o = buildOverlay(views([{ op: 'chmod', path: '/root', mode: 0o700 }, { op: 'chown', path: '/root', uid: 1000, gid: 100 }]), inInput);
    const e = editedEntry(o, '/root', lookup)!;
    expect(e.modeString).toBe('drwx------');
    expect([e.uid, e.gid]).toEqual([1000, 100]);
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
  });
});

describe('upload', () => {
  const blob = (size: number) => ({ size, slice: (a: number, b: number) => ({ arrayBuffer: async () => new Uint8Array(b - a).fill(65).buffer }) });

  it('sends a file in chunks, in order, the first without an id and the last with done', async () => {
    const calls: { upload?: string; offset: number; len: number; done: boolean }[] = [];
    const sent: number[] = [];
    const size = UPLOAD_CHUNK_BYTES * 2 + 5;
    const id = await sendUpload(
      blob(size),
      async (a) => {
        calls.push({ upload: a.upload, offset: a.offset, len: atob(a.base64).length, done: a.done });
        return { upload: 'abcdef0123456789', received: a.offset + atob(a.base64).length };
      },
      (n) => sent.push(n),
    );
    expect(id).toBe('abcdef0123456789');
    expect(calls.map((c) => [c.upload, c.offset, c.len, c.done])).toEqual([
      [undefined, 0, UPLOAD_CHUNK_BYTES, false],
      ['abcdef0123456789', UPLOAD_CHUNK_BYTES, UPLOAD_CHUNK_BYTES, false],
      ['abcdef0123456789', UPLOAD_CHUNK_BYTES * 2, 5, true],
    ]);
    expect(sent[sent.length - 1]).toBe(size);
  });

  it('an empty file is one call with done; a file over the limit is refused before sending', async () => {
    const calls: boolean[] = [];
    await sendUpload(blob(0), async (a) => (calls.push(a.done), { upload: '0123456789abcdef', received: 0 }), () => undefined);
    expect(calls).toEqual([true]);
    expect(tooBig('big.img', UPLOAD_MAX_BYTES + 1)?.message).toContain('big.img');
    expect(tooBig('ok.img', UPLOAD_MAX_BYTES)).toBeUndefined();
  });
});
