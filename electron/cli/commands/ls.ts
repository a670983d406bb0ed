import type { Command } from 'commander';
import type { EntryView } from '../../../shared/image';
import { listFolder, listTree } from '../../core/image/inspect';
import { forTerminal } from '../output';
import { withImage } from './image-cli';

function lsLine(e: EntryView, showPath: boolean): string {
  const when = e.mtime ? e.mtime.slice(0, 16).replace('T', ' ') : '-               ';
  const size = e.type === 'char' || e.type === 'block' ? `${e.rdev?.major ?? 0}, ${e.rdev?.minor ?? 0}` : String(e.size);
  const name = forTerminal(showPath ? e.path : e.name);
  const link = e.target !== undefined ? ` -> ${forTerminal(e.target)}` : '';
  const archive = e.archive ? `  [${e.archive}]` : '';
  return `${e.modeString} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${size.padStart(10)} ${when} ${name}${link}${archive}`;
}

/** The JSON shape the issue names: only these keys, in this order. */
function jsonEntry(e: EntryView): Record<string, unknown> {
  const o: Record<string, unknown> = { path: e.path, type: e.type, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime ?? null };
  if (e.target !== undefined) o.target = e.target;
  if (e.archive) o.archive = e.archive;
  if (e.rdev) o.rdev = e.rdev;
  if (e.linkOf) o.linkOf = e.linkOf;
  return o;
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list a folder of an ISO or initrd; paths run through archives (/boot/initrd/etc)')
    .argument('<image>', 'an ISO file or an initrd / cpio archive')
    .argument('[path]', 'absolute path inside the image', '/')
    .option('-R, --recursive', 'list the whole subtree (does not go into archives by itself)')
    .option('--json', 'print a JSON array')
    .action(async (image: string, p: string, opts: { recursive?: boolean; json?: boolean }) => {
      await withImage(image, async (session) => {
        const out = process.stdout;
        if (opts.recursive) {
          // Streamed: a 50,000-entry tree is printed as it is walked, not held twice.
          let first = true;
          if (opts.json) out.write('[');
          let buf = '';
          await listTree(session, p, (e) => {
            buf += opts.json ? `${first ? '\n' : ',\n'}${JSON.stringify(jsonEntry(e))}` : `${lsLine(e, true)}\n`;
            first = false;
            if (buf.length > 1 << 16) {
              out.write(buf);
              buf = '';
            }
          });
          out.write(buf);
          if (opts.json) out.write(first ? ']\n' : '\n]\n');
          return;
        }
        const entries = await listFolder(session, p);
        if (opts.json) out.write(`${JSON.stringify(entries.map(jsonEntry), null, 2)}\n`);
        else out.write(entries.map((e) => `${lsLine(e, false)}\n`).join(''));
      });
    });
}
