/**
 * True only for the app's own page, the built renderer on disk. Compared as parsed URLs:
 * a prefix test on strings can be fooled (file:///app/index.html.evil, query tricks).
 */
export function isAppUrl(raw: string, rendererIndex: string): boolean {
  try {
    const url = new URL(raw);
    const index = new URL(`file://${rendererIndex}`);
    return url.protocol === 'file:' && url.host === '' && url.pathname === index.pathname;
  } catch {
    return false;
  }
}

/** External links may only be web pages; file:, javascript: and custom schemes are refused. */
export function externalUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}
