import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookies as sent; a value that is not valid percent-encoding (`a=%`, set by any local page) is kept as it is. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const raw = part.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // Not ours, and not worth failing a request over.
    }
    out.set(part.slice(0, eq).trim(), value);
  }
  return out;
}

/** The request's path and query, or undefined for a target `new URL` refuses (`//`, `//x:y`). Never throws. */
export function requestUrl(target: string | undefined): URL | undefined {
  const t = target ?? '/';
  // Only origin-form targets ("/path?query") are served; "//host" would parse as an authority.
  if (!t.startsWith('/') || t.startsWith('//')) return undefined;
  try {
    return new URL(t, 'http://localhost');
  } catch {
    return undefined;
  }
}

/**
 * The browser UI's gate. The printed URL carries a one-off token; presenting it once sets
 * an HttpOnly session cookie, so the token can leave the address bar. Cookies are not
 * separated by port, hence the port in the cookie's name: two servers never share one.
 */
export class ServeAuth {
  readonly token = newSecret();
  private readonly session = newSecret();

  constructor(private readonly port: () => number) {}

  get cookieName(): string {
    return `isolab_session_${this.port()}`;
  }

  tokenMatches(candidate: string | null | undefined): boolean {
    return same(candidate, this.token);
  }

  hasSession(req: IncomingMessage): boolean {
    return same(parseCookies(req.headers.cookie).get(this.cookieName), this.session);
  }

  sessionCookie(): string {
    return `${this.cookieName}=${this.session}; HttpOnly; SameSite=Strict; Path=/`;
  }

  isAuthorized(req: IncomingMessage, url: URL): boolean {
    return this.hasSession(req) || this.tokenMatches(url.searchParams.get('token'));
  }
}

/**
 * A browser always sends Origin on a WebSocket handshake; a page from any other site must
 * not drive the lab even if it somehow had the cookie. Non-browser clients send none.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host}`;
}

/** Against DNS rebinding: on loopback, only loopback names may be in the Host header. */
export function hostAllowed(req: IncomingMessage, boundHost: string, port: number): boolean {
  if (!isLoopback(boundHost)) return true;
  const host = req.headers.host ?? '';
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${boundHost}:${port}`].includes(host);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
