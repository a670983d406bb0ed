/** Paths Edit mode makes: where an added entry goes in the image, and where the new ISO goes on disk. */

/** A name in an image folder: / + motd → /motd, /etc + motd → /etc/motd. */
export function joinPath(folder: string, name: string): string {
  return folder === '/' ? `/${name}` : `${folder}/${name}`;
}

/** `/isos/hello.iso` → `/isos/hello-remastered.iso`, next to the input. */
export function defaultOut(input: string): string {
  const dir = input.slice(0, input.lastIndexOf('/') + 1) || '/';
  const base = input.slice(input.lastIndexOf('/') + 1).replace(/\.iso$/i, '');
  return `${dir}${base}-remastered.iso`;
}
