import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { LabError } from '../../../shared/errors';
import type { BootConfigEntry, ChangeInput, EditState, RemasterEvent, SaveArgs } from '../../../shared/remaster';
import type { ImageRegistry } from '../image/registry';
import { cmdlineNotes } from './boot-config';
import { EditPlan, readData } from './edit-plan';
import { EditStore, editIdFor, identityOf, sha256Of, storeChange, type EditFile } from './edit-store';
import { appendBlocker } from './initrd-writer';
import { remaster } from './remaster';
import type { ArchiveImage } from '../archive/archive-image';

const READ_MAX = 4 << 20;

/**
 * The edits of this process's UI: one per input file, kept on disk by EditStore, replayed into
 * an EditPlan whenever it is asked about. Requests on one edit run one at a time.
 */
export class EditManager {
  readonly store: EditStore;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: { dataDir: string; images: ImageRegistry; env?: NodeJS.ProcessEnv }) {
    this.store = new EditStore(path.join(opts.dataDir, 'edits'));
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.queues.set(id, next);
    return next;
  }

  private async must(id: string): Promise<EditFile> {
    const e = await this.store.load(id);
    if (!e) throw new LabError('NO_EDIT', `No edit ${id} (it was discarded, or its ISO was never opened for editing).`, 'Open the ISO for editing again.');
    return e;
  }

  async open(file: string): Promise<EditState> {
    const real = await fs.realpath(file).catch(() => {
      throw new LabError('NOT_FOUND', `Cannot open ${file}: no such file.`, 'Check the path.');
    });
    const id = editIdFor(real);
    return this.serial(id, async () => {
      let edit = await this.store.load(id);
      if (!edit) {
        await this.opts.images.get(real);
        edit = { version: 1, id, input: await identityOf(real), changes: [], updatedAt: new Date().toISOString() };
        await this.store.save(edit);
      }
      return this.state(edit);
    });
  }

  get(id: string): Promise<EditState> {
    return this.serial(id, async () => this.state(await this.must(id)));
  }

  /** Says why the input no longer is what the edit began on; refreshes a touched-but-same file. */
  private async staleness(edit: EditFile): Promise<string | undefined> {
    const st = await fs.stat(edit.input.file).catch(() => undefined);
    if (!st) return `${edit.input.file} is gone.`;
    if (st.size === edit.input.size && st.mtimeMs === edit.input.mtimeMs) return undefined;
    const sha = st.size === edit.input.size ? await sha256Of(edit.input.file) : '';
    if (sha === edit.input.sha256) {
      edit.input = { ...edit.input, mtimeMs: st.mtimeMs };
      await this.store.save(edit);
      return undefined;
    }
    return `${edit.input.file} changed since this edit began (it was ${edit.input.size} bytes, sha256 ${edit.input.sha256.slice(0, 12)}; now ${st.size} bytes). The changes were made against the old contents.`;
  }

  private async plan(edit: EditFile, changes = edit.changes): Promise<EditPlan> {
    const session = await this.opts.images.get(edit.input.file);
    return EditPlan.build(session, changes, this.store.blobDir(edit.id));
  }

  private async state(edit: EditFile, plan?: EditPlan): Promise<EditState> {
    const stale = await this.staleness(edit);
    const p = stale ? undefined : (plan ?? (await this.plan(edit)));
    const levels = (p?.changedLevels() ?? [])
      .filter((l) => l.path)
      .map((l) => {
        const reason = appendBlocker({ tree: l.tree, warnings: (l.archive as ArchiveImage).warnings });
        return { path: l.path, format: l.format ?? '', appendOk: !reason, ...(reason ? { repackReason: reason } : {}) };
      });
    const changes = p?.views ?? edit.changes.map((change, index) => ({ index, change, summary: `${change.op} ${'path' in change ? change.path : ''}`.trim(), level: '' }));
    return { id: edit.id, input: edit.input, changes, ...(stale ? { stale } : {}), levels, updatedAt: edit.updatedAt };
  }

  apply(id: string, input: z.output<typeof ChangeInput>): Promise<EditState> {
    return this.serial(id, async () => {
      const edit = await this.must(id);
      const stale = await this.staleness(edit);
      if (stale) throw new LabError('INPUT_CHANGED', stale, 'Discard this edit and start again on the new file.');
      const change = await storeChange(this.store, id, input);
      // Replayed from the start: a change that fails its checks leaves the edit as it was.
      const plan = await this.plan(edit, [...edit.changes, change]);
      edit.changes.push(change);
      edit.updatedAt = new Date().toISOString();
      await this.store.save(edit);
      return this.state(edit, plan);
    });
  }

  undo(id: string, index: number): Promise<EditState> {
    return this.serial(id, async () => {
      const edit = await this.must(id);
      if (index >= edit.changes.length) throw new LabError('NO_CHANGE', `There is no change ${index + 1}; the edit has ${edit.changes.length}.`);
      const rest = edit.changes.filter((_, i) => i !== index);
      let plan: EditPlan;
      try {
        plan = await this.plan(edit, rest);
      } catch (err) {
        const why = err instanceof LabError ? err.message : String(err);
        throw new LabError('UNDO_BLOCKED', `Change ${index + 1} cannot be taken back alone: a later change needs it (${why})`, 'Undo the later changes first.');
      }
      edit.changes = rest;
      edit.updatedAt = new Date().toISOString();
      await this.store.save(edit);
      return this.state(edit, plan);
    });
  }

  discard(id: string): Promise<EditState> {
    return this.serial(id, async () => {
      const edit = await this.must(id);
      await this.store.remove(id);
      const fresh: EditFile = { version: 1, id, input: await identityOf(edit.input.file).catch(() => edit.input), changes: [], updatedAt: new Date().toISOString() };
      await this.store.save(fresh);
      return this.state(fresh);
    });
  }

  upload(id: string, upload: string | undefined, offset: number, base64: string): Promise<{ upload: string; received: number }> {
    return this.serial(id, async () => {
      await this.must(id);
      return this.store.upload(id, upload, offset, Buffer.from(base64, 'base64'));
    });
  }

  read(id: string, imagePath: string): Promise<{ path: string; size: number; changed: boolean; base64: string; truncated: boolean }> {
    return this.serial(id, async () => {
      const edit = await this.must(id);
      const plan = await this.plan(edit);
      const e = await plan.lookup(imagePath);
      if (!e) throw new LabError('NOT_FOUND', `${imagePath} does not exist in the edited image.`);
      if (e.type !== 'file' || !e.data) throw new LabError('NOT_A_FILE', `${imagePath} is a ${e.type}, not a file.`);
      const data = e.data.kind === 'base' ? await e.data.container.open(e.data.entry).read(0, Math.min(READ_MAX, e.size)) : (await readData(e.data)).subarray(0, READ_MAX);
      return { path: imagePath, size: e.size, changed: e.data.kind !== 'base', base64: data.toString('base64'), truncated: e.size > READ_MAX };
    });
  }

  bootEntries(id: string): Promise<BootConfigEntry[]> {
    return this.serial(id, async () => {
      const edit = await this.must(id);
      const [now, before] = await Promise.all([this.plan(edit).then((p) => p.bootEntries()), this.plan(edit, []).then((p) => p.bootEntries())]);
      const original = new Map(before.map((b) => [b.id, b.cmdline]));
      return now.map((b) => ({
        id: b.id,
        loader: b.loader,
        config: b.config,
        label: b.label,
        ...(b.kernel ? { kernel: b.kernel } : {}),
        ...(b.initrd ? { initrd: b.initrd } : {}),
        cmdline: b.cmdline,
        original: original.get(b.id) ?? '',
        notes: cmdlineNotes(b.cmdline),
      }));
    });
  }

  async save(args: z.output<typeof SaveArgs>, emit: (e: RemasterEvent) => void, signal: AbortSignal): Promise<void> {
    const edit = await this.serial(args.id, () => this.must(args.id));
    const stale = await this.staleness(edit);
    if (stale) throw new LabError('INPUT_CHANGED', stale, 'Discard this edit and start again on the new file; nothing was written.');
    const plan = await this.plan(edit);
    const result = await remaster({ plan, out: args.out, mode: args.mode, overwrite: args.overwrite, signal, onProgress: emit, env: this.opts.env });
    emit({ type: 'result', result });
  }
}
