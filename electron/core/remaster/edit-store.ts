import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LabError } from '../../../shared/errors';
import { Change, ChangeInput, InputIdentity, UPLOAD_MAX_BYTES } from '../../../shared/remaster';
import { writeFileAtomic } from '../fs/atomic-write';

/**
 * Edits on disk: `<data>/edits/<id>/edit.json` (the input's identity and the change list),
 * `blobs/` (contents of written files, by sha256) and `uploads/` (files still arriving). The
 * id comes from the input's real path, so opening the same ISO again resumes its edit, and a
 * reload, a crash or a restart loses no change: each one is on disk before it is confirmed.
 */

export const EditFile = z.object({
  version: z.literal(1),
  id: z.string(),
  input: InputIdentity,
  changes: z.array(Change),
  updatedAt: z.string(),
});
export type EditFile = z.infer<typeof EditFile>;

export function editIdFor(realFile: string): string {
  return createHash('sha256').update(realFile).digest('hex').slice(0, 16);
}

export async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function identityOf(file: string): Promise<InputIdentity> {
  const st = await fs.stat(file);
  return { file, size: st.size, mtimeMs: st.mtimeMs, sha256: await sha256Of(file) };
}

export class EditStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  blobDir(id: string): string {
    return path.join(this.dir(id), 'blobs');
  }

  async load(id: string): Promise<EditFile | undefined> {
    const text = await fs.readFile(path.join(this.dir(id), 'edit.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = EditFile.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // Unreadable: treated as no edit; the file is kept aside below.
    }
    await fs.rename(path.join(this.dir(id), 'edit.json'), path.join(this.dir(id), `edit.json.corrupt-${Date.now()}`)).catch(() => undefined);
    return undefined;
  }

  async save(edit: EditFile): Promise<void> {
    await writeFileAtomic(path.join(this.dir(edit.id), 'edit.json'), `${JSON.stringify(edit, null, 1)}\n`);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }

  /** Keeps bytes as a blob (named by their hash) and returns its name. */
  async putBlob(id: string, data: Buffer): Promise<string> {
    const name = createHash('sha256').update(data).digest('hex');
    const file = path.join(this.blobDir(id), name);
    if (!(await fs.stat(file).catch(() => undefined))) await writeFileAtomic(file, data, 0o644);
    return name;
  }

  /** Appends a chunk of an upload; the first chunk (no `upload`) starts one. */
  async upload(id: string, upload: string | undefined, offset: number, data: Buffer): Promise<{ upload: string; received: number }> {
    const name = upload ?? randomBytes(8).toString('hex');
    const dir = path.join(this.dir(id), 'uploads');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (upload && !st) throw new LabError('UPLOAD_UNKNOWN', `Upload ${upload} is not known (it may have been taken already).`, 'Send the file again from the start.');
    const have = st?.size ?? 0;
    if (offset !== have) throw new LabError('UPLOAD_OFFSET', `Upload ${name} has ${have} bytes; a chunk at ${offset} does not follow on.`, 'Send the chunks in order.');
    if (have + data.length > UPLOAD_MAX_BYTES) {
      await fs.rm(file, { force: true });
      throw new LabError('UPLOAD_TOO_BIG', `The file is over ${UPLOAD_MAX_BYTES >> 20} MiB, the most the browser UI sends.`, 'Use a path on this machine instead (Put from this machine…, or isolab remaster --put).');
    }
    await fs.appendFile(file, data, { mode: 0o600 });
    return { upload: name, received: have + data.length };
  }

  /** Turns a finished upload into a blob. */
  async takeUpload(id: string, upload: string): Promise<{ blob: string; size: number }> {
    const file = path.join(this.dir(id), 'uploads', upload);
    const data = await fs.readFile(file).catch(() => {
      throw new LabError('UPLOAD_UNKNOWN', `Upload ${upload} is not known.`, 'Send the file again.');
    });
    const blob = await this.putBlob(id, data);
    await fs.rm(file, { force: true });
    return { blob, size: data.length };
  }
}

/** A request's change as kept: text becomes a blob. */
export async function storeChange(store: Pick<EditStore, 'putBlob' | 'takeUpload'>, id: string, c: z.output<typeof ChangeInput>): Promise<Change> {
  if (c.op !== 'write') return c as Change;
  if (c.upload) {
    const { blob, size } = await store.takeUpload(id, c.upload);
    return { op: 'write', path: c.path, blob, size, ...(c.mode !== undefined ? { mode: c.mode } : {}) };
  }
  const data = Buffer.from(c.text ?? '', 'utf8');
  const blob = await store.putBlob(id, data);
  return { op: 'write', path: c.path, blob, size: data.length, ...(c.mode !== undefined ? { mode: c.mode } : {}) };
}
