import type { Command } from 'commander';
import type { DiffChange, DiffEntry, DiffLevel, DiffResult, FieldChange } from '../../../shared/diff';
import { formatBytes } from '../../../shared/format';
import { diffImages } from '../../core/diff/image-diff';
import { EXIT_FAIL, ExitCode, paint, printJson } from '../output';
import { withImage } from './image-cli';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const counts = (c: { added: number; removed: number; changed: number }) => `${c.added} added, ${c.removed} removed, ${c.changed} changed`;
/** A level's own counts; the archives among its changed entries that hold changes are said to be. */
const levelCounts = (l: DiffLevel) => `${counts(l)}${l.containers ? ` (${l.containers === 1 ? '1 of them an archive' : `${l.containers} of them archives`} with changes inside)` : ''}`;
/** Over the levels, counting files: an archive holding changes is their container, not one more changed file. */
const summaryCounts = (s: DiffResult['summary']) => `${counts(s)}${s.containers ? `, inside ${plural(s.containers, 'archive', 'archives')}` : ''}`;
const signed = (n: number) => (n === 0 ? '±0 B' : `${n > 0 ? '+' : '−'}${formatBytes(Math.abs(n))}`);

function fieldValue(f: FieldChange, v: FieldChange['before']): string {
  if (v === null) return 'none';
  return f.field === 'sha256' && typeof v === 'string' ? v.slice(0, 12) : String(v);
}

/** `size 17 → 18, sha256 32f0ff93ce45 → 93a43561821f`, as git --stat would put it in a line. */
export function fieldSummary(fields: FieldChange[]): string {
  return fields.map((f) => `${f.field} ${fieldValue(f, f.before)} → ${fieldValue(f, f.after)}`).join(', ');
}

function entryNote(e: DiffEntry): string {
  if (e.archive) return `${e.archive} archive, ${formatBytes(e.size)}; contents not listed`;
  switch (e.type) {
    case 'file':
      return formatBytes(e.size);
    case 'symlink':
      return `-> ${e.target ?? ''}`;
    case 'dir':
      return 'folder';
    default:
      return e.rdev ? `${e.type} ${e.rdev.major},${e.rdev.minor}` : e.type;
  }
}

export function changeLine(c: DiffChange): string {
  switch (c.kind) {
    case 'added':
      return paint.green(`+ ${c.path}`) + paint.dim(`  (${entryNote(c.b!)})`);
    case 'removed':
      return paint.red(`- ${c.path}`) + paint.dim(`  (${entryNote(c.a!)})`);
    default:
      return paint.yellow(`~ ${c.path}`) + `  (${fieldSummary(c.fields)})` + (c.container ? paint.dim('  [an archive: the changes inside are listed under it]') : '');
  }
}

function levelLabel(l: DiffLevel, r: DiffResult): string {
  if (l.path !== '/') return l.path;
  return r.a.kind === 'iso' ? 'ISO' : 'archive';
}

/** A summary line, one line a level, then the changes like `diff -r`: `+`, `-` and `~`. */
export function formatDiff(r: DiffResult): string {
  const s = r.summary;
  let out = '';
  if (s.identical) out += `${r.a.name} and ${r.b.name} have the same contents\n`;
  else out += paint.bold(`${r.a.name} → ${r.b.name}: ${summaryCounts(s)}`) + `  (${formatBytes(r.a.size)} → ${formatBytes(r.b.size)})\n`;
  const width = Math.max(...r.levels.map((l) => levelLabel(l, r).length));
  for (const l of r.levels) {
    out += `  ${levelLabel(l, r).padEnd(width)}  ${levelCounts(l)}  ${formatBytes(l.a.bytes)} → ${formatBytes(l.b.bytes)} (${signed(l.b.bytes - l.a.bytes)})\n`;
  }
  if (s.mtimeOnly && !r.options.mtime) out += paint.dim(`  ${plural(s.mtimeOnly, 'entry differs', 'entries differ')} only in mtime: not counted (--mtime lists them)\n`);
  for (const w of r.warnings) out += `  note: ${w}\n`;
  if (r.changes.length) out += '\n' + r.changes.map((c) => `${changeLine(c)}\n`).join('');
  if (r.truncated) out += paint.dim(`… only the first ${r.changes.length} changes are listed\n`);
  return out;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two images: files added, removed and changed in the ISO and inside its initrd')
    .argument('<a>', 'the image before: an ISO or an initrd / cpio archive')
    .argument('<b>', 'the image after')
    .option('--json', 'print the result as JSON')
    .option('--mtime', 'count mtime differences as changes')
    .option('--exit-code', 'exit with 1 when the images differ (like git diff --exit-code)')
    .action(async (a: string, b: string, opts: { json?: boolean; mtime?: boolean; exitCode?: boolean }) => {
      const result = await withImage(a, (sa) =>
        withImage(b, async (sb) => {
          const tty = process.stderr.isTTY && !opts.json;
          const controller = new AbortController();
          const onSigint = () => controller.abort();
          process.once('SIGINT', onSigint);
          try {
            const r = await diffImages(sa, sb, {
              mtime: opts.mtime,
              signal: controller.signal,
              onProgress: (p) => {
                if (!tty) return;
                const what = p.phase === 'indexing' ? `opening ${p.level} ${formatBytes(p.indexBytes ?? 0)}` : p.phase === 'hashing' ? `hashing ${formatBytes(p.bytesHashed)} ${p.current ?? ''}` : `listing ${p.level}`;
                process.stderr.write(`\r\x1b[K${what}`.slice(0, (process.stderr.columns || 80) + 4));
              },
            });
            if (tty) process.stderr.write('\r\x1b[K');
            return r;
          } finally {
            process.removeListener('SIGINT', onSigint);
          }
        }),
      );
      if (opts.json) printJson(result);
      else process.stdout.write(formatDiff(result));
      if (opts.exitCode && !result.summary.identical) throw new ExitCode(EXIT_FAIL);
    });
}
