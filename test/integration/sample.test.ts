// The Hello ISO sample (recipes/hello-iso) end to end through the built CLI: copied out with
// `isolab sample`, built by recipe auto on the real dockerd (from the local sample base image,
// as no registry is reachable here), read back with `isolab cat`, booted under QEMU with a
// root login, then changed, rebuilt, and compared with the ISO before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainers, ensureSampleBase, ROOT, SAMPLE_BASE_IMAGE, sha256sum } from './build-setup';

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-sample-'));
const CLI = path.join(ROOT, 'bin', 'isolab.cjs');

function isolab(args: string[], timeout = 600_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1' },
    timeout,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const build = (checkout: string) => isolab(['build', checkout, '--network', 'none', '--build-arg', `BASE=${SAMPLE_BASE_IMAGE}`]);
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';

beforeAll(() => {
  const v = isolab(['--version']);
  if (v.code !== 0) throw new Error(`isolab is not built (npm run build): ${v.err}`);
  ensureSampleBase();
}, 900_000);

afterAll(() => {
  expect(buildContainers()).toEqual([]);
});

describe('isolab sample', () => {
  it('copies the sample into a new folder, with its scripts executable, and refuses a folder that is not empty', () => {
    const dest = path.join(home, 'copy-test');
    const r = isolab(['sample', dest, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ checkout: dest, files: expect.any(Number) });
    for (const f of ['Makefile', 'builder/Dockerfile', 'build-iso.sh', 'isolinux.cfg', 'overlay/etc/VERSION', 'overlay/init']) expect(existsSync(path.join(dest, f)), f).toBe(true);
    expect(spawnSync('test', ['-x', path.join(dest, 'build-iso.sh')]).status).toBe(0);
    expect(existsSync(path.join(dest, 'out'))).toBe(false);

    const again = isolab(['sample', dest]);
    expect(again.code).toBe(1);
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toMatch(/is not empty .*Hint: choose a new folder/);
    expect(readFileSync(path.join(dest, 'overlay', 'etc', 'VERSION'), 'utf8')).toBe('Hello ISO 1\n');

    const empty = path.join(home, 'empty');
    mkdirSync(empty);
    expect(isolab(['sample', empty]).code).toBe(0);
    const orphan = isolab(['sample', path.join(home, 'no', 'such', 'parent')]);
    expect(orphan.code).toBe(1);
    expect(orphan.err).toMatch(/does not exist/);
    expect(existsSync(path.join(home, 'no'))).toBe(false);
  });
});

describe('Hello ISO: build, boot, change, rebuild, compare', () => {
  const checkout = path.join(home, 'hello');
  let iso = '';
  let firstSha = '';

  it('builds with recipe auto (it picks the sample recipe) into out/hello.iso with minikube\'s layout', () => {
    expect(isolab(['sample', checkout]).code).toBe(0);
    const r = build(checkout);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/recipe hello: the Makefile has the target out\/hello\.iso \(ISO Lab's Hello ISO sample\) and builder\/Dockerfile exists/);
    expect(r.out).toMatch(/^\$ docker build --network none --build-arg BASE=isolab-sample-base:bookworm -t isolab\/hello-iso-builder -f builder\/Dockerfile builder$/m);
    expect(r.out).toMatch(/^>>> linux \S+-amd64 Installing to images directory$/m);
    iso = lastLine(r.out);
    expect(iso).toBe(path.join(checkout, 'out', 'hello.iso'));
    firstSha = sha256sum(iso);

    const ls = isolab(['ls', iso, '/', '--json']);
    expect(ls.code, ls.err).toBe(0);
    expect((JSON.parse(ls.out) as { path: string }[]).map((e) => e.path).sort()).toEqual(['/boot', '/boot.catalog', '/isolinux']);
    const info = JSON.parse(isolab(['info', iso, '--json']).out) as { kernel?: { card: { version: string } }; initrds: { format: string }[] };
    expect(info.kernel?.card.version).toMatch(/^6\.\d+\.\d+-\d+-amd64 /);
    expect(info.initrds[0]?.format).toMatch(/gzip/);
    const version = isolab(['cat', iso, '/boot/initrd/etc/VERSION']);
    expect(version.out).toBe('Hello ISO 1\n');
    // The power button's driver, for a clean ACPI shutdown.
    expect((JSON.parse(isolab(['ls', iso, '/boot/initrd/lib/modules', '--json']).out) as { path: string }[]).map((e) => e.path)).toEqual([
      '/boot/initrd/lib/modules/button.ko',
      '/boot/initrd/lib/modules/evdev.ko',
    ]);
    const shadow = JSON.parse(isolab(['ls', iso, '/boot/initrd/etc/shadow', '--json']).out) as { mode: number }[];
    expect(shadow[0]!.mode & 0o7777).toBe(0o600);
  }, 900_000);

  it('boots under QEMU to a login on the serial console; root logs in without a password', () => {
    const r = isolab(['boot', iso, '--name', 'hello-sample', '--login', 'root', '--run', 'cat /etc/VERSION; hostname'], 240_000);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('Hello ISO 1\nhello-iso\n');
    // A --run smoke test removes its VM afterwards.
    expect(isolab(['vm', 'ls']).out).not.toMatch(/hello-sample/);
  }, 300_000);

  it('remastered without a rebuild: a changed VERSION, an added file and a kernel argument, seen at the root prompt', () => {
    const out = path.join(checkout, 'out', 'hello-remastered.iso');
    const r = isolab(['remaster', iso, out, '--write', '/boot/initrd/etc/VERSION=Hello ISO remastered\n', '--write', '/boot/initrd/root/note.txt=added', '--cmdline-add', 'isolab.sample=1', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).levels[0]).toMatchObject({ method: 'append', formatBefore: 'cpio+gzip', formatAfter: 'cpio+gzip,cpio+gzip' });
    const diff = JSON.parse(isolab(['diff', iso, out, '--json']).out) as { changes: { kind: string; path: string }[] };
    expect(diff.changes.map((c) => `${c.kind} ${c.path}`).sort()).toEqual(['added /boot/initrd/root/note.txt', 'changed /boot/initrd', 'changed /boot/initrd/etc/VERSION', 'changed /isolinux/isolinux.cfg']);
    const boot = isolab(['boot', out, '--name', 'hello-remastered', '--login', 'root', '--run', 'cat /etc/VERSION; cat /root/note.txt; echo; cat /proc/cmdline'], 240_000);
    expect(boot.code, boot.err).toBe(0);
    expect(boot.out).toContain('Hello ISO remastered\nadded\n');
    expect(boot.out).toMatch(/isolab\.sample=1/);
    rmSync(out);
  }, 300_000);

  it('the same inputs give the same ISO byte for byte; after a change the ISO before is kept for comparing', () => {
    // make would say "up to date": the ISO goes, so the build really runs again.
    rmSync(iso);
    const same = build(checkout);
    expect(same.code, same.err).toBe(0);
    expect(sha256sum(iso)).toBe(firstSha);
    expect(existsSync(path.join(checkout, 'out', 'hello.previous.iso'))).toBe(false);

    writeFileSync(path.join(checkout, 'overlay', 'etc', 'VERSION'), 'Hello ISO 2\n');
    const changed = build(checkout);
    expect(changed.code, changed.err).toBe(0);
    expect(changed.out).toMatch(/hello\.iso: \d+ bytes, Hello ISO 2/);
    expect(sha256sum(iso)).not.toBe(firstSha);
    expect(sha256sum(path.join(checkout, 'out', 'hello.previous.iso'))).toBe(firstSha);
    expect(isolab(['cat', iso, '/boot/initrd/etc/VERSION']).out).toBe('Hello ISO 2\n');
    expect(isolab(['cat', path.join(checkout, 'out', 'hello.previous.iso'), '/boot/initrd/etc/VERSION']).out).toBe('Hello ISO 1\n');
  }, 900_000);
});
