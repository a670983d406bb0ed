import { LabError } from '../../../shared/errors';

/** '/a//b/./c/' → ['a','b','c']; '..' is refused rather than resolved, so no path can climb out. */
export function splitImagePath(p: string): string[] {
  if (!p.startsWith('/')) {
    throw new LabError('BAD_PATH', `Paths inside an image are absolute: "${p}" does not start with /.`, `Write it as /${p}.`);
  }
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) {
    throw new LabError('BAD_PATH', `"${p}" contains "..".`, 'Name the folder directly, e.g. /boot/initrd/etc.');
  }
  return parts;
}

export function joinImagePath(parts: string[]): string {
  return `/${parts.join('/')}`;
}

/** Resolves a symlink target against the folder that holds the link, inside one container. */
export function resolveLinkTarget(linkParts: string[], target: string): string[] {
  const base = target.startsWith('/') ? [] : linkParts.slice(0, -1);
  const out = [...base];
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}
