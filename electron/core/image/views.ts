import type { EntryView } from '../../../shared/image';
import { modeString, type NodeEntry } from './entry';

export function toEntryView(entry: NodeEntry, outerPath: string, extra: { archive?: string; inside?: string[] } = {}): EntryView {
  const view: EntryView = {
    path: outerPath,
    name: outerPath === '/' ? '/' : outerPath.slice(outerPath.lastIndexOf('/') + 1),
    type: entry.type,
    size: entry.size,
    mode: entry.mode & 0o7777,
    modeString: modeString(entry.type, entry.mode),
    uid: entry.uid,
    gid: entry.gid,
  };
  if (entry.mtime !== undefined && Number.isFinite(entry.mtime)) view.mtime = new Date(entry.mtime).toISOString();
  if (entry.target !== undefined) view.target = entry.target;
  if (entry.rdev) view.rdev = entry.rdev;
  if (entry.linkOf) view.linkOf = entry.linkOf;
  const first = entry.extents?.[0];
  if (first) view.offset = first.offset;
  if (extra.archive) view.archive = extra.archive;
  if (extra.inside && extra.inside.length) view.inside = extra.inside;
  return view;
}
