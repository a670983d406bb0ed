import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { RemasterProgress, RemasterResult, WriteMode } from '../../../shared/remaster';
import type { ArchiveImage } from '../archive/archive-image';
import { FileSource } from '../image/byte-source';
import { splitImagePath } from '../image/paths';
import type { EditPlan, Level } from './edit-plan';
import { appendBlocker, writeArchive } from './initrd-writer';
import { bootEquipment, findXorriso, xorrisoWrite } from './xorriso';

/**
 * Writes an edit as a new ISO: each changed archive first (append or repack), then xorriso
 * with the ISO-level changes and the new archives mapped over the old ones. Everything is
 * written in a folder beside the output and renamed into place at the very end, so a failure,
 * a full disk or a cancel leaves no half ISO, and the input is only ever read.
 */

export interface RemasterOptions {
  plan: EditPlan;
  out: string;
  mode?: WriteMode;
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: RemasterProgress) => void;
  env?: NodeJS.ProcessEnv;
}

const octal = (m: number) => m.toString(8).padStart(4, '0');

async function statOrUndefined(p: string) {
  return fs.stat(p).catch(() => undefined);
}

/** Refuses an output that is the input, sits in a folder that is missing or read-only, or exists (unless allowed). */
export async function checkOutput(input: string, out: string, overwrite: boolean): Promise<void> {
  const dir = path.dirname(out);
  const [si, so, sd] = await Promise.all([fs.stat(input), statOrUndefined(out), statOrUndefined(dir)]);
  if (so && so.dev === si.dev && so.ino === si.ino) {
    throw new LabError('OUT_IS_INPUT', `${out} is the input ISO; the new ISO must be a new file.`, 'Choose another output name; the input is never changed.');
  }
  if (!sd) throw new LabError('OUT_DIR_MISSING', `The folder ${dir} does not exist.`, `Create it first (mkdir -p ${dir}) or choose another output path.`);
  if (!sd.isDirectory()) throw new LabError('OUT_DIR_MISSING', `${dir} is not a folder.`, 'Choose an output path in a folder.');
  try {
    await fs.access(dir, fs.constants.W_OK);
  } catch {
    throw new LabError('OUT_DIR_READONLY', `Cannot write in ${dir}: permission denied.`, 'Choose a folder you can write to.');
  }
  if (so?.isDirectory()) throw new LabError('OUT_IS_FOLDER', `${out} is a folder.`, 'Name the new ISO file, e.g. ' + path.join(out, 'remastered.iso'));
  if (so && !overwrite) throw new LabError('OUT_EXISTS', `${out} already exists.`, 'Choose another name, or allow replacing it (--force on the command line).');
}

async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function enospc(err: unknown, out: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LabError('NO_SPACE', `No space left on the disk of ${out} while writing the new ISO.`, 'Free some space there or choose another folder; nothing was written.');
  }
  return err;
}

export async function remaster(opts: RemasterOptions): Promise<RemasterResult> {
  const started = Date.now();
  const { plan, out } = opts;
  const session = plan.session;
  const input = session.file;
  const mode = opts.mode ?? 'auto';
  await checkOutput(input, out, opts.overwrite ?? false);
  const exe = await findXorriso(opts.env);
  const changed = plan.changedLevels();
  if (plan.views.length === 0) throw new LabError('NO_CHANGES', 'There are no changes to write.', 'Add a change first (--write, --put, --rm …).');

  const archives = changed.filter((l) => l.path);
  const stampAtStart = session.stamp;
  const emit = (phase: RemasterProgress['phase'], level: string, bytes: number, total: number, from: number, to: number) =>
    opts.onProgress?.({ type: 'progress', phase, level, bytes, total, percent: Math.min(100, from + (total ? ((to - from) * bytes) / total : 0)) });
  emit('checking', '', 0, 0, 0, 0);

  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.isolab-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp, { mode: 0o700 });
  const notes: string[] = [];
  const levels: RemasterResult['levels'] = [];
  try {
    const maps: string[][] = [];
    const share = archives.length ? 60 / archives.length : 0;
    for (const [i, l] of archives.entries()) {
      const { method, reason } = chooseMethod(l, mode);
      if (reason) notes.push(`${l.path}: repacked, because ${reason}.`);
      const source = await archiveSource(plan, l);
      const archive = l.archive as ArchiveImage;
      const res = await writeArchive({ tree: l.tree, source, segments: archive.segments, warnings: archive.warnings }, method, {
        dir: tmp,
        signal: opts.signal,
        env: opts.env,
        onProgress: (b, t) => emit(method === 'repack' ? 'compressing' : 'initrd', l.path, b, t, i * share, (i + 1) * share),
      }).catch((err: unknown) => {
        throw enospc(err, out);
      });
      notes.push(...res.notes.map((n) => `${l.path}: ${n}`));
      levels.push({ path: l.path, method: res.method, formatBefore: l.format ?? '', formatAfter: res.formatAfter, sizeBefore: source.size, sizeAfter: res.size, entries: res.entries });
      const e = (await plan.iso.tree.lookup(splitImagePath(l.path)))!;
      maps.push(['-map', res.file, l.path], ['-chmod', octal(e.meta.mode), l.path, '--'], ['-chown', String(e.meta.uid), l.path, '--'], ['-chgrp', String(e.meta.gid), l.path, '--']);
    }

    const commands: string[][] = [];
    let n = 0;
    for (const op of plan.isoOps) {
      if ('cmd' in op) {
        commands.push(op.cmd);
        continue;
      }
      const file = path.join(tmp, `config-${n++}`);
      await fs.writeFile(file, op.buffer, { mode: 0o644 }).catch((err: unknown) => {
        throw enospc(err, out);
      });
      commands.push(['-map', file, op.path]);
    }
    commands.push(...maps);

    const boot = await bootEquipment(exe, input);
    const isoTmp = path.join(tmp, 'new.iso');
    const from = archives.length ? 60 : 0;
    emit('iso', '', 0, 100, from, 100);
    await xorrisoWrite(exe, { input, output: isoTmp, commands, joliet: !!session.iso?.info.joliet, signal: opts.signal, onPercent: (p) => emit('iso', '', p, 100, from, 100) });

    const st = await fs.stat(input);
    if (FileSource.stampOf(st) !== stampAtStart) {
      throw new LabError('INPUT_CHANGED', `${input} changed while the new ISO was being written; the result was thrown away.`, 'Write it again once the input stays put (a build may be writing it).');
    }
    const size = (await fs.stat(isoTmp)).size;
    const sha256 = await sha256File(isoTmp, opts.signal);
    if (opts.signal?.aborted) throw opts.signal.reason;
    await fs.rename(isoTmp, out);
    return { out, size, sha256, changes: plan.views.length, levels, boot: boot.summary, notes, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    if (opts.signal?.aborted) throw new LabError('CANCELLED', 'Writing the new ISO was cancelled; nothing was written.');
    throw enospc(err, out);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function chooseMethod(l: Level, mode: WriteMode): { method: 'append' | 'repack'; reason?: string } {
  if (mode === 'repack') return { method: 'repack' };
  const archive = l.archive as ArchiveImage;
  const blocker = appendBlocker({ tree: l.tree, warnings: archive.warnings });
  if (!blocker) return { method: 'append' };
  if (mode === 'append') {
    throw new LabError('APPEND_IMPOSSIBLE', `${l.path} cannot be written by appending: ${blocker}.`, 'Write it with repack (--repack) instead.');
  }
  return { method: 'repack', reason: blocker };
}

/** The archive file's bytes as the input ISO holds them. */
async function archiveSource(plan: EditPlan, l: Level) {
  const e = await plan.iso.tree.lookup(splitImagePath(l.path));
  if (!e?.data || e.data.kind !== 'base') throw new LabError('INTERNAL', `${l.path} is not a file of the input ISO.`);
  return e.data.container.open(e.data.entry, `${plan.session.name} › ${l.path.slice(1)}`);
}
