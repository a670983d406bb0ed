import { LabError } from '../../../shared/errors';
import type { DiffChange, DiffEntry, DiffLevel, DiffProgress, DiffResult, FieldChange } from '../../../shared/diff';
import type { NodeEntry } from '../image/entry';
import type { ImageSession, Located } from '../image/image-session';
import { imageInfo, mapLimit } from '../image/inspect';
import { splitImagePath } from '../image/paths';
import { sameBootMeaning } from './boot-layout';
import { sha256Of } from './hash';
import { comparePaths, compareTrees, isoTime, treeBytes, type Tree } from './tree-diff';
import { cancelledDiff, walkTree } from './walk';

export interface DiffOptions {
  /** Count mtime differences as changes. */
  mtime?: boolean;
  maxChanges?: number;
  signal?: AbortSignal;
  onProgress?: (p: DiffProgress) => void;
}

/** Files up to this size are hashed even when their size already tells they changed, so the result can show both hashes. */
const CHEAP_HASH = 1 << 20;
/** The ISO, its initrd, and an archive inside that: deeper nesting is reported, not entered. */
const MAX_DEPTH = 3;

/** One level to compare: the same archive (or the image itself) on both sides. */
interface Plan {
  /** As changes are reported: '/' or '/boot/initrd'. */
  path: string;
  a: string;
  b: string;
  depth: number;
}

interface Side {
  session: ImageSession;
  loc: Located;
  tree: Tree;
  format: string;
}

/** '/' + '/etc' → '/etc'; '/boot/initrd' + '/etc' → '/boot/initrd/etc'. */
function under(level: string, key: string): string {
  return level === '/' ? key : level + key;
}

function pathIn(side: Side, key: string): string {
  return side.session.outerPath(side.loc, [...side.loc.inner, ...splitImagePath(key)]);
}

function toDiffEntry(e: NodeEntry, path: string, extra: { sha256?: string; archive?: string }): DiffEntry {
  const d: DiffEntry = { path, type: e.type, size: e.size, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid };
  const t = isoTime(e.mtime);
  if (t) d.mtime = t;
  if (e.target !== undefined) d.target = e.target;
  if (e.rdev) d.rdev = e.rdev;
  if (extra.sha256) d.sha256 = extra.sha256;
  if (extra.archive) d.archive = extra.archive;
  return d;
}

/** Progress at most every 100 ms, and at once when the phase or level changes. */
function reporter(onProgress: DiffOptions['onProgress']) {
  const state: DiffProgress = { type: 'progress', phase: 'listing', level: '/', filesHashed: 0, bytesHashed: 0 };
  let last = 0;
  const emit = (force: boolean) => {
    const now = Date.now();
    if (!onProgress || (!force && now - last < 100)) return;
    last = now;
    onProgress({ ...state });
  };
  return {
    state,
    phase(phase: DiffProgress['phase'], level: string, extra: Partial<DiffProgress> = {}) {
      Object.assign(state, { phase, level, bytesToHash: undefined, indexBytes: undefined, indexTotal: undefined, current: undefined }, extra);
      emit(true);
    },
    update(extra: Partial<DiffProgress>) {
      Object.assign(state, extra);
      emit(false);
    },
  };
}

/**
 * When an ISO is compared with a bare initrd, the ISO side is narrowed to its (first)
 * initrd: "what changed between the initrd I built and the one in this ISO".
 */
async function firstPlan(a: ImageSession, b: ImageSession, warnings: string[]): Promise<Plan> {
  if (a.kind === b.kind) return { path: '/', a: '/', b: '/', depth: 0 };
  const iso = a.kind === 'iso' ? a : b;
  const bare = a.kind === 'iso' ? b : a;
  const { initrds } = await imageInfo(iso);
  const initrd = initrds[0];
  if (!initrd) {
    throw new LabError('NOT_COMPARABLE', `${iso.name} holds no initrd to compare ${bare.name} with.`, 'Compare two ISOs, or two initrds.');
  }
  warnings.push(`${bare.name} is a bare archive: it is compared with ${iso.name} › ${initrd.path}${initrds.length > 1 ? ` (the first of ${initrds.length} initrds)` : ''}.`);
  return { path: initrd.path, a: a === iso ? initrd.path : '/', b: b === iso ? initrd.path : '/', depth: 1 };
}

async function openSide(session: ImageSession, root: string, opts: DiffOptions, report: ReturnType<typeof reporter>): Promise<Side> {
  const loc = await session.locate(root, {
    descendLast: true,
    signal: opts.signal,
    onProgress: (p) => report.update({ phase: 'indexing', indexBytes: p.bytesIn, indexTotal: p.totalIn }),
  });
  if (loc.entry.type !== 'dir') {
    throw new LabError('NOT_AN_ARCHIVE', `${root} in ${session.name} is not an archive.`);
  }
  const format = root === '/' ? (session.kind === 'iso' ? 'iso9660' : session.format) : ((await session.archiveSummary(root))?.format ?? 'archive');
  const tree = await walkTree(loc.container, loc.inner, opts.signal);
  return { session, loc, tree, format };
}

/**
 * Compares two images: their own trees, then, below, every archive both hold at the same
 * path whose bytes differ (an identical initrd needs no opening). Metadata first; content by
 * sha256 where sizes are equal, and for small files anyway so both hashes can be shown.
 * Added and removed archives are single entries: their contents are not listed.
 */
export async function diffImages(a: ImageSession, b: ImageSession, opts: DiffOptions = {}): Promise<DiffResult> {
  const maxChanges = opts.maxChanges ?? 100_000;
  const signal = opts.signal;
  const warnings: string[] = [];
  const report = reporter(opts.onProgress);
  const levels: DiffLevel[] = [];
  const changes: DiffChange[] = [];
  let truncated = false;
  /** An archive's level → the level it was found at. */
  const parentOf = new Map<string, string>();
  const queue: Plan[] = [await firstPlan(a, b, warnings)];

  while (queue.length) {
    const plan = queue.shift()!;
    if (signal?.aborted) throw cancelledDiff();
    report.phase('listing', plan.path);
    let sa: Side;
    let sb: Side;
    try {
      [sa, sb] = await Promise.all([openSide(a, plan.a, opts, report), openSide(b, plan.b, opts, report)]);
    } catch (err) {
      // The images themselves must open; an archive inside that does not is noted and skipped.
      if (levels.length === 0 || (err instanceof LabError && err.code === 'CANCELLED') || signal?.aborted) throw signal?.aborted ? cancelledDiff() : err;
      warnings.push(`${plan.path}: not compared inside: ${(err as Error).message}`);
      continue;
    }

    const d = compareTrees(sa.tree, sb.tree);
    const hashes = new Map<string, { a?: string; b?: string }>();
    const jobs: { key: string; side: 'a' | 'b' }[] = [];
    for (const c of d.common) {
      const ea = sa.tree.get(c.key)!;
      const eb = sb.tree.get(c.key)!;
      if (c.needsHash || (ea.type === 'file' && eb.type === 'file' && ea.size <= CHEAP_HASH && eb.size <= CHEAP_HASH)) {
        jobs.push({ key: c.key, side: 'a' }, { key: c.key, side: 'b' });
      }
    }
    for (const key of d.removed) if (sa.tree.get(key)!.type === 'file' && sa.tree.get(key)!.size <= CHEAP_HASH) jobs.push({ key, side: 'a' });
    for (const key of d.added) if (sb.tree.get(key)!.type === 'file' && sb.tree.get(key)!.size <= CHEAP_HASH) jobs.push({ key, side: 'b' });

    const bytesToHash = jobs.reduce((n, j) => n + (j.side === 'a' ? sa : sb).tree.get(j.key)!.size, 0);
    report.phase('hashing', plan.path, { bytesToHash: report.state.bytesHashed + bytesToHash });
    await mapLimit(jobs, 4, async ({ key, side }) => {
      if (signal?.aborted) throw cancelledDiff();
      const s = side === 'a' ? sa : sb;
      const entry = s.tree.get(key)!;
      report.update({ current: under(plan.path, key) });
      const sum = await sha256Of(s.loc.container.open(entry, `${s.session.name} › ${pathIn(s, key).slice(1)}`), {
        signal,
        onBytes: (n) => report.update({ bytesHashed: report.state.bytesHashed + n }),
      });
      report.update({ filesHashed: report.state.filesHashed + 1 });
      const h = hashes.get(key) ?? {};
      h[side] = sum;
      hashes.set(key, h);
    });
    if (signal?.aborted) throw cancelledDiff();

    const level: DiffLevel = {
      path: plan.path,
      a: { root: plan.a, format: sa.format, entries: sa.tree.size, bytes: treeBytes(sa.tree) },
      b: { root: plan.b, format: sb.format, entries: sb.tree.size, bytes: treeBytes(sb.tree) },
      added: d.added.length,
      removed: d.removed.length,
      changed: 0,
      containers: 0,
      mtimeOnly: 0,
      unchanged: 0,
      bytesAdded: 0,
      bytesRemoved: 0,
      bytesChanged: 0,
    };
    const found: DiffChange[] = [];
    const archiveOf = (s: Side, key: string) => s.session.archiveFormat(s.loc.container, s.tree.get(key)!, pathIn(s, key));
    const fileBytes = (e: NodeEntry) => (e.type === 'file' && !e.linkOf ? e.size : 0);

    for (const key of d.removed) {
      const e = sa.tree.get(key)!;
      level.bytesRemoved += fileBytes(e);
      found.push({ path: under(plan.path, key), level: plan.path, kind: 'removed', type: e.type, fields: [], a: toDiffEntry(e, pathIn(sa, key), { sha256: hashes.get(key)?.a, archive: await archiveOf(sa, key) }) });
    }
    for (const key of d.added) {
      const e = sb.tree.get(key)!;
      level.bytesAdded += fileBytes(e);
      found.push({ path: under(plan.path, key), level: plan.path, kind: 'added', type: e.type, fields: [], b: toDiffEntry(e, pathIn(sb, key), { sha256: hashes.get(key)?.b, archive: await archiveOf(sb, key) }) });
    }
    const children: Plan[] = [];
    const relaidOut: string[] = [];
    for (const c of d.common) {
      const ea = sa.tree.get(c.key)!;
      const eb = sb.tree.get(c.key)!;
      const h = hashes.get(c.key);
      const fields: FieldChange[] = [...c.fields];
      let contentChanged = ea.type === 'file' && eb.type === 'file' && (ea.size !== eb.size || (h?.a !== undefined && h.a !== h.b));
      if (contentChanged && plan.path === '/' && a.kind === 'iso' && b.kind === 'iso' && (await sameBootMeaning(a, b, c.key, ea, eb))) {
        contentChanged = false;
        relaidOut.push(c.key);
      }
      if (contentChanged && h?.a && h.b) fields.push({ field: 'sha256', before: h.a, after: h.b });
      let formats: { a?: string; b?: string } = {};
      if (contentChanged) {
        formats = { a: await archiveOf(sa, c.key), b: await archiveOf(sb, c.key) };
        if (formats.a !== formats.b) fields.push({ field: 'archive', before: formats.a ?? null, after: formats.b ?? null });
        if (formats.a && formats.b) {
          if (plan.depth + 1 < MAX_DEPTH) {
            children.push({ path: under(plan.path, c.key), a: pathIn(sa, c.key), b: pathIn(sb, c.key), depth: plan.depth + 1 });
            parentOf.set(under(plan.path, c.key), plan.path);
          }
          else warnings.push(`${under(plan.path, c.key)}: an archive nested ${plan.depth + 1} deep; its contents were not compared.`);
        }
      }
      if (c.mtime && fields.length === 0) level.mtimeOnly++;
      if (c.mtime && opts.mtime) fields.push(c.mtime);
      if (!fields.length) {
        level.unchanged++;
        continue;
      }
      level.changed++;
      if (contentChanged) level.bytesChanged += eb.size;
      found.push({
        path: under(plan.path, c.key),
        level: plan.path,
        kind: 'changed',
        type: eb.type,
        fields,
        a: toDiffEntry(ea, pathIn(sa, c.key), { sha256: h?.a, archive: formats.a }),
        b: toDiffEntry(eb, pathIn(sb, c.key), { sha256: h?.b, archive: formats.b }),
      });
    }
    if (relaidOut.length) {
      warnings.push(`${relaidOut.join(' and ')} differ only in block addresses (the El Torito catalog and the boot info table every ISO writer fills in anew): not counted as changes.`);
    }
    found.sort((x, y) => comparePaths(x.path, y.path));
    if (changes.length + found.length > maxChanges) truncated = true;
    changes.push(...found.slice(0, Math.max(0, maxChanges - changes.length)));
    levels.push(level);
    queue.push(...children);
  }

  // An archive compared as a level of its own holds its changes: it counts as their container,
  // not as one more changed file. Deepest first, so an archive in an archive counts the same way.
  const byPath = new Map(levels.map((l) => [l.path, l]));
  for (const l of [...levels].reverse()) {
    const parentPath = parentOf.get(l.path);
    const parent = parentPath !== undefined ? byPath.get(parentPath) : undefined;
    if (!parent || l.added + l.removed + l.changed === 0) continue;
    parent.containers++;
    const c = changes.find((x) => x.path === l.path && x.level === parent.path && x.kind === 'changed');
    if (c) c.container = true;
  }
  const total = (k: 'added' | 'removed' | 'changed' | 'containers' | 'mtimeOnly') => levels.reduce((n, l) => n + l[k], 0);
  const side = (s: ImageSession) => ({ file: s.file, name: s.name, size: s.size, kind: s.kind, format: s.kind === 'iso' ? 'iso9660' : s.format });
  const summary = {
    added: total('added'),
    removed: total('removed'),
    changed: total('changed') - total('containers'),
    containers: total('containers'),
    mtimeOnly: total('mtimeOnly'),
    identical: false,
    filesHashed: report.state.filesHashed,
    bytesHashed: report.state.bytesHashed,
  };
  summary.identical = summary.added + summary.removed + summary.changed === 0;
  const result: DiffResult = { a: side(a), b: side(b), options: { mtime: !!opts.mtime }, summary, levels, changes, warnings };
  if (truncated) result.truncated = true;
  return result;
}
