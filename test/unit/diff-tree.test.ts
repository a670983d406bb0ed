import { describe, expect, it } from 'vitest';
import { comparePaths, compareTrees, metaFields, treeBytes, type Tree } from '../../electron/core/diff/tree-diff';
import type { NodeEntry } from '../../electron/core/image/entry';

const T0 = Date.UTC(2024, 0, 1);
const file = (size: number, extra: Partial<NodeEntry> = {}): NodeEntry => ({ name: 'f', type: 'file', size, mode: 0o644, uid: 0, gid: 0, mtime: T0, ...extra });
const dir = (extra: Partial<NodeEntry> = {}): NodeEntry => ({ name: 'd', type: 'dir', size: 2048, mode: 0o755, uid: 0, gid: 0, mtime: T0, ...extra });
const link = (target: string): NodeEntry => ({ name: 'l', type: 'symlink', size: target.length, mode: 0o777, uid: 0, gid: 0, mtime: T0, target });
const tree = (entries: Record<string, NodeEntry>): Tree => new Map(Object.entries(entries));

describe('tree diff', () => {
  it('orders paths by component, as diff -r does', () => {
    expect(['/etc-old', '/etc/b', '/etc', '/etc/a/x', '/bin'].sort(comparePaths)).toEqual(['/bin', '/etc', '/etc/a/x', '/etc/b', '/etc-old']);
  });

  it('splits added, removed and common, each in path order', () => {
    const d = compareTrees(tree({ '/b': file(1), '/a': file(1), '/gone': file(3) }), tree({ '/a': file(1), '/new': file(2), '/b': file(1) }));
    expect(d.added).toEqual(['/new']);
    expect(d.removed).toEqual(['/gone']);
    expect(d.common.map((c) => c.key)).toEqual(['/a', '/b']);
    expect(d.common.every((c) => c.fields.length === 0 && c.needsHash)).toBe(true);
  });

  it('asks for a hash only for non-empty files of equal size', () => {
    const d = compareTrees(tree({ '/same': file(5), '/grew': file(5), '/empty': file(0), '/d': dir() }), tree({ '/same': file(5), '/grew': file(6), '/empty': file(0), '/d': dir() }));
    expect(Object.fromEntries(d.common.map((c) => [c.key, c.needsHash]))).toEqual({ '/d': false, '/empty': false, '/grew': false, '/same': true });
    expect(d.common.find((c) => c.key === '/grew')!.fields).toEqual([{ field: 'size', before: 5, after: 6 }]);
  });

  it('compares mode, owner, target and device numbers; folder and symlink sizes are not changes', () => {
    expect(metaFields(file(1), file(1, { mode: 0o600, uid: 1000, gid: 100 })).fields).toEqual([
      { field: 'mode', before: '0644', after: '0600' },
      { field: 'uid', before: 0, after: 1000 },
      { field: 'gid', before: 0, after: 100 },
    ]);
    expect(metaFields(dir({ size: 2048 }), dir({ size: 4096 })).fields).toEqual([]);
    expect(metaFields(link('busybox'), link('/bin/busybox')).fields).toEqual([{ field: 'target', before: 'busybox', after: '/bin/busybox' }]);
    const dev = (minor: number): NodeEntry => ({ name: 'c', type: 'char', size: 0, mode: 0o600, uid: 0, gid: 0, rdev: { major: 5, minor } });
    expect(metaFields(dev(1), dev(2)).fields).toEqual([{ field: 'rdev', before: '5,1', after: '5,2' }]);
  });

  it('a type change says so, with what else differs for those types', () => {
    expect(metaFields(file(7), link('busybox')).fields).toEqual([
      { field: 'type', before: 'file', after: 'symlink' },
      { field: 'mode', before: '0644', after: '0777' },
      { field: 'target', before: null, after: 'busybox' },
    ]);
  });

  it('keeps an mtime difference apart, to the second', () => {
    expect(metaFields(file(1), file(1, { mtime: T0 + 999 }))).toEqual({ fields: [] });
    expect(metaFields(file(1), file(1, { mtime: T0 + 86_400_000 }))).toEqual({ fields: [], mtime: { field: 'mtime', before: '2024-01-01T00:00:00Z', after: '2024-01-02T00:00:00Z' } });
    expect(metaFields(file(1, { mtime: undefined }), file(1)).mtime).toMatchObject({ before: null });
  });

  it('counts a hardlinked file once in a level\'s bytes', () => {
    expect(treeBytes(tree({ '/a': file(10), '/b': file(10, { linkOf: '/a' }), '/d': dir(), '/l': link('a') }))).toBe(10);
  });
});
