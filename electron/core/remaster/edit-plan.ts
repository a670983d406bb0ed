import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import type { Change, ChangeView } from '../../../shared/remaster';
import type { ArchiveImage } from '../archive/archive-image';
import type { ImageSession } from '../image/image-session';
import { splitImagePath } from '../image/paths';
import { addArgs, bootConfigKind, parseBootConfig, setCmdline, type BootLine } from './boot-config';
import { EditTree, key, type DataRef, type Eff } from './edit-tree';

/** A level of the image that has changes: the ISO itself ('') or one archive in it. */
export interface Level {
  path: string;
  tree: EditTree;
  archive?: ArchiveImage;
  format?: string;
}

/** Entries a host folder may bring in one `put`: past that it is almost surely the wrong folder. */
const MAX_PUT_ENTRIES = 200_000;

const octal = (m: number) => m.toString(8).padStart(4, '0');

/** One xorriso command, or a file to map whose bytes are only in memory (an edited config). */
export type IsoOp = { cmd: string[] } | { buffer: Buffer; path: string };

/** A boot entry of a config file in the ISO, as the edit has it. */
export interface BootEntryFound extends BootLine {
  id: string;
  config: string;
}

/**
 * The changes of an edit replayed, in order, onto the image: one EditTree per level. Each
 * change is checked as it is applied, so a plan that was built is one that can be written.
 */
export class EditPlan {
  readonly levels = new Map<string, Level>();
  readonly views: ChangeView[] = [];
  /**
   * The ISO-level changes as xorriso commands, in order: xorriso applies them one after the
   * other to the loaded tree, as the changes were checked here.
   */
  readonly isoOps: IsoOp[] = [];

  private lastConfigWrites: [string, Buffer][] = [];

  private constructor(
    readonly session: ImageSession,
    private readonly blobDir: string,
  ) {}

  static async build(session: ImageSession, changes: Change[], blobDir: string): Promise<EditPlan> {
    if (session.kind !== 'iso' || !session.iso) {
      throw new LabError('NOT_AN_ISO', `${session.name} is an archive, not an ISO: remastering writes ISO images.`, 'Open the ISO that holds it.');
    }
    const plan = new EditPlan(session, blobDir);
    plan.levels.set('', { path: '', tree: new EditTree(session.iso, 'the ISO', '') });
    for (const c of changes) await plan.apply(c);
    return plan;
  }

  get iso(): Level {
    return this.levels.get('')!;
  }

  /** Which level an image path is in, and its path there. Refuses paths through symlinks and into plain files. */
  private async where(imagePath: string): Promise<{ level: Level; parts: string[] }> {
    const parts = splitImagePath(imagePath);
    const iso = this.iso;
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i);
      let e: Eff | undefined;
      try {
        e = await iso.tree.lookup(prefix);
      } catch (err) {
        if (err instanceof LabError && err.code === 'NOT_A_DIRECTORY') break;
        throw err;
      }
      if (!e) break;
      if (e.type === 'file') {
        const outer = key(prefix);
        const level = await this.archiveLevel(outer, e);
        return { level, parts: parts.slice(i) };
      }
    }
    return { level: iso, parts };
  }

  private async archiveLevel(outer: string, e: Eff): Promise<Level> {
    const known = this.levels.get(outer);
    if (known) return known;
    if (e.touched || !e.baseEntry) {
      throw new LabError('CONFLICT', `${outer} itself is replaced or moved by an earlier change, so nothing can be changed inside it.`, 'Undo that change first, or change the file you put there before adding it.');
    }
    const loc = await this.session.locate(outer, { descendLast: true });
    if (loc.base !== outer) {
      throw new LabError('NOT_A_DIRECTORY', `${outer} is a file, not a folder or an archive, so nothing can be written inside it.`, `Change it as a whole instead: write ${outer}.`);
    }
    if (loc.inside.length > 1) {
      throw new LabError('NESTED_ARCHIVE', `${outer} is an archive inside another archive; ISO Lab changes archives that lie in the ISO itself.`);
    }
    const archive = loc.container as ArchiveImage;
    const level: Level = { path: outer, tree: new EditTree(archive, outer, outer), archive, format: archive.format };
    this.levels.set(outer, level);
    return level;
  }

  /** The merged node at an image path (through the archive it lies in), or undefined. */
  async lookup(imagePath: string): Promise<Eff | undefined> {
    const { level, parts } = await this.where(imagePath);
    return level.tree.lookup(parts);
  }

  /** Refuses an ISO-level change to a path that holds an archive with changes. */
  private guardIsoPath(imagePath: string): void {
    const k = imagePath.replace(/\/+$/, '') || '/';
    for (const [p, l] of this.levels) {
      if (!p || l.tree.empty) continue;
      if (p === k || p.startsWith(`${k === '/' ? '' : k}/`)) {
        throw new LabError('CONFLICT', `${imagePath} holds ${p}, which has changes inside it.`, `Undo the changes inside ${p} first.`);
      }
    }
  }

  async apply(c: Change): Promise<ChangeView> {
    const view = await this.applyOne(c);
    if (!view.level) await this.recordIso(c, view);
    this.views.push(view);
    return view;
  }

  /** Owner and mode as the tree has them now: xorriso's -map takes them from the local file. */
  private async metaOps(p: string, recursive = false): Promise<IsoOp[]> {
    const e = await this.iso.tree.lookup(splitImagePath(p));
    if (!e) return [];
    const r = recursive ? '_r' : '';
    return [
      { cmd: [`-chmod${r}`, octal(e.meta.mode), p, '--'] },
      { cmd: [`-chown${r}`, String(e.meta.uid), p, '--'] },
      { cmd: [`-chgrp${r}`, String(e.meta.gid), p, '--'] },
    ];
  }

  private async recordIso(c: Change, view: ChangeView): Promise<void> {
    const ops = this.isoOps;
    switch (c.op) {
      case 'write':
        ops.push({ cmd: ['-map', path.join(this.blobDir, c.blob), c.path] }, ...(await this.metaOps(c.path)));
        return;
      case 'put': {
        const st = await fs.lstat(c.host);
        ops.push({ cmd: ['-map', c.host, c.path] });
        if (st.isDirectory()) ops.push({ cmd: ['-chown_r', '0', c.path, '--'] }, { cmd: ['-chgrp_r', '0', c.path, '--'] });
        else ops.push(...(await this.metaOps(c.path)));
        return;
      }
      case 'mkdir': {
        const parts = splitImagePath(c.path);
        for (let i = 1; i <= parts.length; i++) ops.push({ cmd: ['-mkdir', key(parts.slice(0, i)), '--'] });
        ops.push({ cmd: ['-chmod', octal(c.mode ?? 0o755), c.path, '--'] });
        return;
      }
      case 'symlink':
        if (view.replaces) ops.push({ cmd: ['-rm_r', c.path, '--'] });
        ops.push({ cmd: ['-lns', c.target, c.path] });
        return;
      case 'rm':
        ops.push({ cmd: ['-rm_r', c.path, '--'] });
        return;
      case 'rename':
        ops.push({ cmd: ['-mv', c.path, c.to, '--'] });
        return;
      case 'chmod':
        ops.push({ cmd: ['-chmod', octal(c.mode), c.path, '--'] });
        return;
      case 'chown':
        ops.push({ cmd: ['-chown', String(c.uid), c.path, '--'] }, { cmd: ['-chgrp', String(c.gid), c.path, '--'] });
        return;
      case 'cmdline':
      case 'cmdlineAdd':
        for (const [config, buf] of this.lastConfigWrites) ops.push({ buffer: buf, path: config }, ...(await this.metaOps(config)));
        return;
    }
  }

  private async applyOne(c: Change): Promise<ChangeView> {
    const index = this.views.length;
    switch (c.op) {
      case 'cmdline':
      case 'cmdlineAdd':
        return { index, change: c, level: '', ...(await this.applyCmdline(c)) };
      case 'rename': {
        const a = await this.where(c.path);
        const b = await this.where(c.to);
        if (a.level !== b.level) throw new LabError('CROSS_LEVEL', `${c.path} and ${c.to} are not in the same ${a.level.path ? 'archive' : 'part of the image'}: a rename stays inside the ISO or inside one archive.`, 'Add the file at the new place and delete the old one instead.');
        if (!a.level.path) {
          this.guardIsoPath(c.path);
          this.guardIsoPath(c.to);
        }
        await a.level.tree.rename(a.parts, b.parts);
        return { index, change: c, level: a.level.path, path: c.path, summary: `rename ${c.path} → ${c.to}` };
      }
      default:
        break;
    }
    const { level, parts } = await this.where(c.path);
    if (!level.path) this.guardIsoPath(c.path);
    const t = level.tree;
    const at = { index, change: c, level: level.path, path: c.path };
    switch (c.op) {
      case 'write': {
        const file = path.join(this.blobDir, c.blob);
        const { replaces } = await t.write(parts, { kind: 'file', path: file, size: c.size }, c.mode);
        return { ...at, replaces, summary: `${replaces ? 'replace' : 'add'} ${c.path} (${formatBytes(c.size)})` };
      }
      case 'put':
        return { ...at, ...(await this.put(t, parts, c.host, c.path)) };
      case 'mkdir': {
        await t.mkdir(parts, c.mode);
        return { ...at, summary: `add folder ${c.path}` };
      }
      case 'symlink': {
        const { replaces } = await t.symlink(parts, c.target);
        return { ...at, replaces, summary: `symlink ${c.path} → ${c.target}` };
      }
      case 'rm':
        await t.rm(parts);
        return { ...at, replaces: true, summary: `delete ${c.path}` };
      case 'chmod':
        await t.chmod(parts, c.mode);
        return { ...at, replaces: true, summary: `chmod ${octal(c.mode)} ${c.path}` };
      case 'chown':
        await t.chown(parts, c.uid, c.gid);
        return { ...at, replaces: true, summary: `chown ${c.uid}:${c.gid} ${c.path}` };
    }
  }

  private async put(t: EditTree, parts: string[], host: string, shown: string): Promise<{ summary: string; replaces: boolean }> {
    const st = await fs.lstat(host).catch((err: NodeJS.ErrnoException) => {
      throw new LabError('HOST_NOT_FOUND', `Cannot read ${host}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}.`, 'Check the path on this machine.');
    });
    if (st.isFile()) {
      const { replaces } = await t.write(parts, { kind: 'file', path: host, size: st.size }, st.mode & 0o7777);
      return { summary: `${replaces ? 'replace' : 'add'} ${shown} from ${host} (${formatBytes(st.size)})`, replaces };
    }
    if (!st.isDirectory()) throw new LabError('HOST_NOT_A_FILE', `${host} is neither a file nor a folder.`);
    const replaces = !!(await t.lookup(parts));
    let count = 0;
    let bytes = 0;
    const walk = async (dir: string, at: string[], mode: number): Promise<void> => {
      await t.mkdir(at, mode);
      const names = (await fs.readdir(dir)).sort();
      for (const name of names) {
        if (++count > MAX_PUT_ENTRIES) throw new LabError('TOO_MANY_FILES', `${host} holds more than ${MAX_PUT_ENTRIES} entries.`, 'Choose a smaller folder.');
        const hp = path.join(dir, name);
        const s = await fs.lstat(hp);
        const p = [...at, name];
        if (s.isDirectory()) await walk(hp, p, s.mode & 0o7777);
        else if (s.isSymbolicLink()) await t.symlink(p, await fs.readlink(hp));
        else if (s.isFile()) {
          await t.write(p, { kind: 'file', path: hp, size: s.size }, s.mode & 0o7777);
          bytes += s.size;
        }
      }
    };
    await walk(host, parts, st.mode & 0o7777);
    return { summary: `put ${shown} from ${host} (${count} entries, ${formatBytes(bytes)})`, replaces };
  }

  /** The ISO's bootloader configs and their boot entries, as the edit has them. */
  async bootEntries(): Promise<BootEntryFound[]> {
    const out: BootEntryFound[] = [];
    for await (const e of this.iso.tree.walk()) {
      if (e.type !== 'file' || !e.data || e.size > 1 << 20) continue;
      const config = key(e.parts);
      const kind = bootConfigKind(config);
      if (!kind) continue;
      const text = (await readData(e.data)).toString('utf8');
      for (const b of parseBootConfig(kind, text)) out.push({ ...b, id: `${config}#${b.line || b.insertAfter}`, config });
    }
    return out;
  }

  private async applyCmdline(c: Extract<Change, { op: 'cmdline' | 'cmdlineAdd' }>): Promise<{ summary: string; path?: string }> {
    const entries = await this.bootEntries();
    const byConfig = new Map<string, BootEntryFound[]>();
    const chosen = c.op === 'cmdline' ? entries.filter((e) => e.id === c.entry) : entries;
    if (c.op === 'cmdline' && chosen.length === 0) {
      throw new LabError('NO_BOOT_ENTRY', `No boot entry ${c.entry} in this ISO.`, 'List them with edit.bootEntries (or isolab remaster --help for --cmdline-add).');
    }
    if (chosen.length === 0) throw new LabError('NO_BOOT_ENTRY', 'This ISO has no isolinux/syslinux or GRUB boot entry with a kernel line to add arguments to.', 'Edit the bootloader config file itself.');
    for (const e of chosen) byConfig.set(e.config, [...(byConfig.get(e.config) ?? []), e]);
    let before = '';
    let after = '';
    this.lastConfigWrites = [];
    for (const [config, list] of byConfig) {
      const parts = splitImagePath(config);
      const eff = (await this.iso.tree.lookup(parts))!;
      let text = (await readData(eff.data!)).toString('utf8');
      // Bottom to top: an inserted APPEND line must not move the lines still to edit.
      for (const e of [...list].sort((a, b) => (b.line || b.insertAfter!) - (a.line || a.insertAfter!))) {
        const next = c.op === 'cmdline' ? c.cmdline : addArgs(e.cmdline, c.args);
        before = e.cmdline;
        after = next;
        text = setCmdline(text, e, next);
      }
      const buf = Buffer.from(text, 'utf8');
      await this.iso.tree.write(parts, { kind: 'buffer', buf });
      this.lastConfigWrites.push([config, buf]);
    }
    if (c.op === 'cmdline') {
      const e = chosen[0]!;
      return { summary: `kernel args of "${e.label}" (${e.config}): ${before || '(none)'} → ${after || '(none)'}`, path: e.config };
    }
    return { summary: `add kernel args "${c.args}" to ${chosen.length} boot ${chosen.length === 1 ? 'entry' : 'entries'}` };
  }

  /** The levels with changes: the ISO first. */
  changedLevels(): Level[] {
    return [...this.levels.values()].filter((l) => !l.tree.empty);
  }
}

/** A file's bytes, whole (configs and small files; big ones are streamed by the writers). */
export async function readData(d: DataRef): Promise<Buffer> {
  if (d.kind === 'buffer') return d.buf;
  if (d.kind === 'file') return fs.readFile(d.path);
  return d.container.open(d.entry).read(0, d.entry.size);
}
