/** The dashboard's session cookie (issue 15 §3): HttpOnly, SameSite=Strict, Secure over HTTPS. */

export const SESSION_COOKIE = 'atalaya_session';

/** The session cookie's value from a Cookie header, or undefined. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** Set-Cookie for a new session (maxAgeS > 0) or one that ends (maxAgeS 0). */
export function sessionSetCookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}
