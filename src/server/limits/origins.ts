/**
 * Whether a browser page from `origin` may call the API. No Origin header means no browser (a
 * server, a CLI, a mobile app): tokens, not cookies, authenticate, so those always pass. The
 * server's own pages (explorer, board) are same-origin and pass too.
 */
export function originAllowed(allowed: readonly string[] | '*', origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || allowed === '*') return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && parsed.host === host) return true;
  return allowed.includes(parsed.origin);
}
