import type { ByteSource } from './byte-source';
import type { NodeEntry } from './entry';

/** What an ISO and an opened archive have in common: a tree of nodes with readable files. */
export interface Container {
  readdir(path: string): Promise<NodeEntry[]>;
  stat(path: string): Promise<NodeEntry & { path: string }>;
  open(entry: NodeEntry, description?: string): ByteSource;
}
