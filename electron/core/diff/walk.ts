import { LabError } from '../../../shared/errors';
import type { Container } from '../image/container';
import { joinImagePath } from '../image/paths';
import type { Tree } from './tree-diff';

const MAX_ENTRIES = 5_000_000;

export function cancelledDiff(): LabError {
  return new LabError('CANCELLED', 'The comparison was cancelled.');
}

/** Every entry below `rootInner` of a container, keyed by its path under that root. Does not go into archives. */
export async function walkTree(container: Container, rootInner: string[], signal?: AbortSignal): Promise<Tree> {
  const tree: Tree = new Map();
  const walk = async (inner: string[], prefix: string): Promise<void> => {
    if (signal?.aborted) throw cancelledDiff();
    for (const child of await container.readdir(joinImagePath(inner))) {
      const key = `${prefix}/${child.name}`;
      tree.set(key, child);
      if (tree.size > MAX_ENTRIES) throw new LabError('TOO_MANY_ENTRIES', 'More than 5 million entries to compare.', 'Compare the archives inside the image one by one.');
      if (child.type === 'dir') await walk([...inner, child.name], key);
    }
  };
  await walk(rootInner, '');
  return tree;
}
