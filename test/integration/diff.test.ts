import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffResult } from '../../shared/diff';
import { diffImages, type DiffOptions } from '../../electron/core/diff/image-diff';
import { ImageSession } from '../../electron/core/image/image-session';
import { buildVariant, FIXTURE_EPOCH, fixtureIso, unpackFixture, type Variant } from '../helpers/fixture-variant';

const root = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-diff-'));
const cacheDir = path.join(dir, 'cache');

/** The fixture as packed by the helper, twice, and variants that differ from it in known ways. */
let base: Variant;
let again: Variant;
let sameLength: Variant;
let many: Variant;
let isoTimes: Variant;

function isolab(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), ...args], {
    env: { ...process.env, ISOLAB_HOME: path.join(dir, 'home'), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function diff(a: string, b: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const sa = await ImageSession.open(a, cacheDir);
  const sb = await ImageSession.open(b, cacheDir);
  try {
    return await diffImages(sa, sb, opts);
  } finally {
    await sa.close();
    await sb.close();
  }
}

const summaryOf = (r: DiffResult) =>
  r.changes.map((c) => ({ path: c.path, kind: c.kind, fields: Object.fromEntries(c.fields.map((f) => [f.field, [f.before, f.after]])) }));

beforeAll(() => {
  const unpacked = unpackFixture(fixtureIso(), path.join(dir, 'unpacked'));
  base = buildVariant(unpacked, dir, 'base');
  again = buildVariant(unpacked, dir, 'again');
  sameLength = buildVariant(unpacked, dir, 'same-length', (u) => writeFileSync(path.join(u.rootfs, 'etc/VERSION'), 'isolab-fixture 2\n'));
  many = buildVariant(unpacked, dir, 'many', (u) => {
    writeFileSync(path.join(u.rootfs, 'etc/VERSION'), 'isolab-fixture 10\n');
    writeFileSync(path.join(u.rootfs, 'etc/motd'), 'Welcome to the fixture\n');
    rmSync(path.join(u.rootfs, 'etc/hostname'));
    chmodSync(path.join(u.rootfs, 'etc/profile'), 0o600);
    rmSync(path.join(u.rootfs, 'bin/sh'));
    symlinkSync('/bin/busybox', path.join(u.rootfs, 'bin/sh'));
    appendFileSync(path.join(u.iso, 'isolinux/isolinux.cfg'), '# changed by the diff test\n');
  });
  isoTimes = buildVariant(unpacked, dir, 'iso-times', undefined, { isoEpoch: FIXTURE_EPOCH + 86_400 });
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diffImages on generated images', () => {
  it('two builds of the same tree are identical: no changes, the initrd not even opened', async () => {
    const r = await diff(base.iso, again.iso);
    expect(r.summary).toMatchObject({ identical: true, added: 0, removed: 0, changed: 0, mtimeOnly: 0 });
    expect(r.changes).toEqual([]);
    expect(r.levels.map((l) => l.path)).toEqual(['/']);
    expect(r.levels[0]!.unchanged).toBe(r.levels[0]!.a.entries);
  });

  it('a same-length change inside the initrd is found by its hash alone', async () => {
    const r = await diff(base.iso, sameLength.iso);
    expect(r.changes.map((c) => c.path)).toEqual(['/boot/initrd', '/boot/initrd/etc/VERSION']);
    const version = r.changes[1]!;
    expect(version).toMatchObject({ kind: 'changed', type: 'file', level: '/boot/initrd' });
    expect(version.fields.map((f) => f.field)).toEqual(['sha256']);
    expect(version.a).toMatchObject({ path: '/boot/initrd/etc/VERSION', size: 17 });
    expect(version.b!.sha256).not.toBe(version.a!.sha256);
    expect(r.changes[0]!.b!.archive).toBe('cpio+bzip2');
    expect(r.levels.map((l) => [l.path, l.changed, l.containers])).toEqual([
      ['/', 1, 1],
      ['/boot/initrd', 1, 0],
    ]);
    // One edit inside the initrd is one changed file, in one container: not "2 changed".
    expect(r.summary).toMatchObject({ changed: 1, containers: 1, added: 0, removed: 0, identical: false });
    expect(r.changes[0]!.container).toBe(true);
    expect(version.container).toBeUndefined();
  });

  it('lists what the overlay change did, in the ISO and inside the initrd', async () => {
    const r = await diff(base.iso, many.iso);
    expect(summaryOf(r)).toEqual([
      { path: '/boot/initrd', kind: 'changed', fields: { size: expect.any(Array), sha256: expect.any(Array) } },
      { path: '/isolinux/isolinux.cfg', kind: 'changed', fields: { size: [144, 171], sha256: expect.any(Array) } },
      { path: '/boot/initrd/bin/sh', kind: 'changed', fields: { target: ['busybox', '/bin/busybox'] } },
      { path: '/boot/initrd/etc/VERSION', kind: 'changed', fields: { size: [17, 18], sha256: expect.any(Array) } },
      { path: '/boot/initrd/etc/hostname', kind: 'removed', fields: {} },
      { path: '/boot/initrd/etc/motd', kind: 'added', fields: {} },
      { path: '/boot/initrd/etc/profile', kind: 'changed', fields: { mode: ['0644', '0600'] } },
    ]);
    // Files: isolinux.cfg and three inside the initrd; the initrd itself is their container.
    expect(r.summary).toMatchObject({ added: 1, removed: 1, changed: 4, containers: 1, identical: false });
    const [iso, initrd] = r.levels;
    expect(iso).toMatchObject({ path: '/', added: 0, removed: 0, changed: 2, containers: 1, a: { format: 'iso9660' } });
    expect(initrd).toMatchObject({ path: '/boot/initrd', added: 1, removed: 1, changed: 3, containers: 0, bytesAdded: 23, bytesRemoved: 7, bytesChanged: 18, a: { root: '/boot/initrd', format: 'cpio+bzip2' } });
    expect(initrd!.b.bytes - initrd!.a.bytes).toBe(23 - 7 + 1);
    const motd = r.changes.find((c) => c.kind === 'added')!;
    expect(motd.a).toBeUndefined();
    expect(motd.b).toMatchObject({ type: 'file', size: 23, mode: 0o644, uid: 0, gid: 0, mtime: '2024-01-01T00:00:00Z' });
    expect(motd.b!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Metadata-only changes have equal hashes on both sides, recorded since the files are small.
    const profile = r.changes.find((c) => c.path.endsWith('/profile'))!;
    expect(profile.a!.sha256).toBe(profile.b!.sha256);
    expect(r.warnings).toEqual([]);
    expect(() => DiffResult.parse(r)).not.toThrow();
  });

  it('ISO-level mtimes alone are counted apart, and listed with mtime: true', async () => {
    const plain = await diff(base.iso, isoTimes.iso);
    expect(plain.summary).toMatchObject({ identical: true, changed: 0 });
    expect(plain.summary.mtimeOnly).toBe(plain.levels[0]!.a.entries);
    const withTimes = await diff(base.iso, isoTimes.iso, { mtime: true });
    expect(withTimes.summary.identical).toBe(false);
    expect(withTimes.changes.length).toBe(plain.summary.mtimeOnly);
    expect(withTimes.changes.find((c) => c.path === '/isolinux/isolinux.cfg')!.fields).toEqual([{ field: 'mtime', before: '2024-01-01T00:00:00Z', after: '2024-01-02T00:00:00Z' }]);
  });

  it('compares bare initrds, and a bare initrd with the initrd of an ISO', async () => {
    const bare = await diff(base.initrd, many.initrd);
    expect(bare.levels.map((l) => l.path)).toEqual(['/']);
    expect(bare.changes.map((c) => `${c.kind} ${c.path}`)).toEqual(['changed /bin/sh', 'changed /etc/VERSION', 'removed /etc/hostname', 'added /etc/motd', 'changed /etc/profile']);

    const mixed = await diff(base.iso, many.initrd);
    expect(mixed.levels.map((l) => [l.path, l.a.root, l.b.root])).toEqual([['/boot/initrd', '/boot/initrd', '/']]);
    expect(mixed.changes.map((c) => c.path)).toEqual(['/boot/initrd/bin/sh', '/boot/initrd/etc/VERSION', '/boot/initrd/etc/hostname', '/boot/initrd/etc/motd', '/boot/initrd/etc/profile']);
    const version = mixed.changes[1]!;
    expect([version.a!.path, version.b!.path]).toEqual(['/boot/initrd/etc/VERSION', '/etc/VERSION']);
    expect(mixed.warnings[0]).toMatch(/many\.initrd is a bare archive: it is compared with base\.iso › \/boot\/initrd/);
  });

  it('reports progress, and stops when cancelled', async () => {
    const phases = new Set<string>();
    await diff(base.iso, sameLength.iso, { onProgress: (p) => phases.add(`${p.phase} ${p.level}`) });
    expect([...phases]).toEqual(expect.arrayContaining(['listing /', 'hashing /', 'hashing /boot/initrd']));
    const controller = new AbortController();
    const p = diff(base.iso, many.iso, { signal: controller.signal, onProgress: (pr) => pr.phase === 'hashing' && controller.abort() });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('isolab diff', () => {
  it('prints a summary, one line a level, then +, - and ~ lines', () => {
    const r = isolab(['diff', base.iso, many.iso]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^base\.iso → many\.iso: 1 added, 1 removed, 4 changed, inside 1 archive {2}\(/);
    expect(lines[1]).toMatch(/^ {2}ISO +0 added, 0 removed, 2 changed \(1 of them an archive with changes inside\) /);
    expect(lines[2]).toMatch(/^ {2}\/boot\/initrd +1 added, 1 removed, 3 changed .*\(\+17 B\)$/);
    const changes = lines.filter((l) => /^[+~-] /.test(l));
    expect(changes).toEqual([
      expect.stringMatching(/^~ \/boot\/initrd {2}\(size \d+ → \d+, sha256 [0-9a-f]{12} → [0-9a-f]{12}\) {2}\[an archive: the changes inside are listed under it\]$/),
      expect.stringMatching(/^~ \/isolinux\/isolinux\.cfg {2}\(size 144 → 171, sha256 /),
      '~ /boot/initrd/bin/sh  (target busybox → /bin/busybox)',
      expect.stringMatching(/^~ \/boot\/initrd\/etc\/VERSION {2}\(size 17 → 18, sha256 /),
      '- /boot/initrd/etc/hostname  (7 B)',
      '+ /boot/initrd/etc/motd  (23 B)',
      '~ /boot/initrd/etc/profile  (mode 0644 → 0600)',
    ]);
  });

  it('--json prints the result the contract describes', () => {
    const r = isolab(['diff', base.iso, sameLength.iso, '--json']);
    expect(r.code).toBe(0);
    const json = DiffResult.parse(JSON.parse(r.out));
    expect(Object.keys(JSON.parse(r.out))).toEqual(['a', 'b', 'options', 'summary', 'levels', 'changes', 'warnings']);
    expect(json.a).toMatchObject({ name: 'base.iso', kind: 'iso', format: 'iso9660' });
    expect(json.changes.map((c) => c.path)).toEqual(['/boot/initrd', '/boot/initrd/etc/VERSION']);
    expect(r.err).toBe('');
  });

  it('identical images: exit 0, also with --exit-code; different ones with --exit-code: 1', () => {
    const same = isolab(['diff', base.iso, again.iso, '--exit-code']);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/^base\.iso and again\.iso have the same contents\n/);
    expect(isolab(['diff', base.iso, isoTimes.iso, '--exit-code']).code).toBe(0);
    expect(isolab(['diff', base.iso, isoTimes.iso, '--exit-code', '--mtime']).code).toBe(1);
    expect(isolab(['diff', base.iso, many.iso, '--exit-code']).code).toBe(1);
  });

  it('a bad input is exit 1 with one line, no stack', () => {
    const missing = isolab(['diff', path.join(dir, 'nope.iso'), base.iso]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^isolab: Cannot open .*nope\.iso: no such file\..*\n$/);
    expect(missing.out).toBe('');
    const notImage = path.join(dir, 'notes.txt');
    writeFileSync(notImage, 'not an image at all\n');
    const bad = isolab(['diff', base.iso, notImage]);
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/^isolab: .*notes\.txt is neither an ISO 9660 image/);
    expect(isolab(['diff', base.iso]).code).toBe(2);
  });
});
