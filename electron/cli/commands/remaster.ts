import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../../../shared/format';
import { ChangeInput, type Change, type RemasterResult } from '../../../shared/remaster';
import { EditPlan } from '../../core/remaster/edit-plan';
import { storeChange, EditStore } from '../../core/remaster/edit-store';
import { remaster } from '../../core/remaster/remaster';
import { printJson, usageError } from '../output';
import { withImage } from './image-cli';

/** `PATH=TEXT`, `HOST:PATH`, `MODE:PATH` … split at the first separator; only TEXT may be empty. */
function pair(flag: string, form: string, value: string, sep: string): [string, string] {
  const i = value.indexOf(sep);
  if (i <= 0 || (i === value.length - 1 && sep !== '=')) throw usageError(`${flag} ${value}: expected ${form}.`);
  return [value.slice(0, i), value.slice(i + 1)];
}

/** The flags' changes in the order they were given (commander calls the parsers left to right). */
function collector(list: unknown[], make: (v: string) => unknown) {
  return (v: string) => {
    list.push(make(v));
    return list;
  };
}

function resultLines(r: RemasterResult): string {
  let s = '';
  for (const l of r.levels) {
    s += `  ${l.path}: ${l.method}, ${l.entries} ${l.entries === 1 ? 'entry' : 'entries'} written, ${formatBytes(l.sizeBefore)} → ${formatBytes(l.sizeAfter)} (${l.formatBefore} → ${l.formatAfter})\n`;
  }
  if (r.boot.length) s += `  boot: ${r.boot.join('; ')} (replayed)\n`;
  for (const n of r.notes) s += `  note: ${n}\n`;
  s += `  ${formatBytes(r.size)}, sha256 ${r.sha256}, ${r.seconds.toFixed(1)} s\n`;
  return s;
}

export function registerRemaster(program: Command): void {
  const changes: unknown[] = [];
  program
    .command('remaster')
    .description('write a new ISO with files changed in it and inside its initrd, without a rebuild')
    .argument('<in>', 'the input ISO (only read)')
    .argument('<out>', 'the new ISO (its folder must exist)')
    .option('--write <PATH=TEXT>', 'a file with exactly TEXT (no newline added); repeatable', collector(changes, (v) => {
      const [p, text] = pair('--write', 'PATH=TEXT', v, '=');
      return { op: 'write', path: p, text };
    }))
    .option('--put <HOSTPATH:PATH>', 'a file or folder of this machine, copied to PATH', collector(changes, (v) => {
      const [host, p] = pair('--put', 'HOSTPATH:PATH', v, ':');
      return { op: 'put', host: path.resolve(host), path: p };
    }))
    .option('--mkdir <PATH>', 'a folder (and its parents)', collector(changes, (v) => ({ op: 'mkdir', path: v })))
    .option('--rm <PATH>', 'delete a file or folder (repacks the initrd it is in)', collector(changes, (v) => ({ op: 'rm', path: v })))
    .option('--rename <PATH:NEWPATH>', 'move within the ISO or within one initrd', collector(changes, (v) => {
      const [p, to] = pair('--rename', 'PATH:NEWPATH', v, ':');
      return { op: 'rename', path: p, to };
    }))
    .option('--chmod <MODE:PATH>', 'permission bits, octal', collector(changes, (v) => {
      const [mode, p] = pair('--chmod', 'MODE:PATH', v, ':');
      return { op: 'chmod', path: p, mode };
    }))
    .option('--chown <UID:GID:PATH>', 'owner and group, numeric', collector(changes, (v) => {
      const m = /^(\d+):(\d+):(\/.*)$/.exec(v);
      if (!m) throw usageError(`--chown ${v}: expected UID:GID:PATH, e.g. 0:0:/boot/initrd/root/x.`);
      return { op: 'chown', path: m[3], uid: Number(m[1]), gid: Number(m[2]) };
    }))
    .option('--symlink <TARGET:PATH>', 'a symbolic link at PATH pointing to TARGET', collector(changes, (v) => {
      const i = v.lastIndexOf(':/');
      if (i <= 0) throw usageError(`--symlink ${v}: expected TARGET:PATH, e.g. /bin/busybox:/boot/initrd/bin/vi.`);
      return { op: 'symlink', target: v.slice(0, i), path: v.slice(i + 1) };
    }))
    .option('--cmdline-add <ARGS>', 'kernel arguments added to every boot entry (isolinux/syslinux and GRUB)', collector(changes, (v) => ({ op: 'cmdlineAdd', args: v })))
    .option('--repack', 'rewrite changed initrds whole instead of appending a segment')
    .option('--append', 'refuse to repack: fail when a change needs it')
    .option('-f, --force', 'replace OUT if it exists')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nChanges apply in the order given. Paths run through archives: /boot/initrd/etc/motd is /etc/motd in the initrd.\nExample: isolab remaster in.iso out.iso --write /boot/initrd/etc/VERSION="v2" --cmdline-add "loglevel=7"')
    .action(async (input: string, out: string, opts: { repack?: boolean; append?: boolean; force?: boolean; json?: boolean }) => {
      if (opts.repack && opts.append) throw usageError('--repack and --append exclude each other.');
      const parsed = changes.map((c) => {
        const r = ChangeInput.safeParse(c);
        if (!r.success) throw usageError(`${JSON.stringify(c)}: ${r.error.issues[0]?.message ?? 'invalid'}.`);
        return r.data;
      });
      if (parsed.length === 0) throw usageError('No changes given.', 'Add --write, --put, --mkdir, --rm, --chmod, --symlink or --cmdline-add.');
      const scratch = await mkdtemp(path.join(os.tmpdir(), 'isolab-remaster-'));
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const store = new EditStore(scratch);
        const stored: Change[] = [];
        for (const c of parsed) stored.push(await storeChange(store, 'cli', c));
        const result = await withImage(input, async (session) => {
          const plan = await EditPlan.build(session, stored, store.blobDir('cli'));
          if (!opts.json) for (const v of plan.views) process.stdout.write(`${v.summary}\n`);
          const tty = process.stderr.isTTY && !opts.json;
          const r = await remaster({
            plan,
            out: path.resolve(out),
            mode: opts.repack ? 'repack' : opts.append ? 'append' : 'auto',
            overwrite: opts.force,
            signal: controller.signal,
            onProgress: (p) => tty && process.stderr.write(`\r${p.phase} ${p.level} ${p.percent.toFixed(0)}%\x1b[K`),
          });
          if (tty) process.stderr.write('\r\x1b[K');
          return r;
        });
        if (opts.json) printJson(result);
        else process.stdout.write(resultLines(result) + `${result.out}\n`);
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        await rm(scratch, { recursive: true, force: true });
      }
    });
}
