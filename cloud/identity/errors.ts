/** Stable codes of the relay's identity area (issue 15): users, sessions, tokens, permissions. */
import { AtalayaError } from '../../protocols/errors.ts';

/** No credentials, or credentials that are unknown, expired, revoked or of a disabled user. */
export const IDENTITY_UNAUTHENTICATED = 'ATALAYA_IDENTITY_UNAUTHENTICATED';
/** Authenticated, but the principal's role lacks the route's permission (or the target is in another organization). */
export const IDENTITY_FORBIDDEN = 'ATALAYA_IDENTITY_FORBIDDEN';
/** A cookie-authenticated write without the session's CSRF token, or from another origin. */
export const IDENTITY_CSRF = 'ATALAYA_IDENTITY_CSRF';
/** Wrong user name or password at sign-in. */
export const IDENTITY_BAD_CREDENTIALS = 'ATALAYA_IDENTITY_BAD_CREDENTIALS';
/** The user is locked after too many failed sign-ins; details.retryAfterS says for how long. */
export const IDENTITY_LOCKED = 'ATALAYA_IDENTITY_LOCKED';
/** Too many sign-in attempts from one address; details.retryAfterS says for how long. */
export const IDENTITY_RATE_LIMITED = 'ATALAYA_IDENTITY_RATE_LIMITED';
/** A user, token or organization named in a request does not exist (or is not visible to the principal). */
export const IDENTITY_NOT_FOUND = 'ATALAYA_IDENTITY_NOT_FOUND';
/** A user name already taken, or a role above the one allowed. */
export const IDENTITY_CONFLICT = 'ATALAYA_IDENTITY_CONFLICT';
export const IDENTITY_INVALID = 'ATALAYA_IDENTITY_INVALID';
/** A route was registered without the authentication preHandler: a programming error. */
export const IDENTITY_NO_PRINCIPAL = 'ATALAYA_IDENTITY_NO_PRINCIPAL';

export type IdentityErrorCode =
  | typeof IDENTITY_UNAUTHENTICATED
  | typeof IDENTITY_FORBIDDEN
  | typeof IDENTITY_CSRF
  | typeof IDENTITY_BAD_CREDENTIALS
  | typeof IDENTITY_LOCKED
  | typeof IDENTITY_RATE_LIMITED
  | typeof IDENTITY_NOT_FOUND
  | typeof IDENTITY_CONFLICT
  | typeof IDENTITY_INVALID
  | typeof IDENTITY_NO_PRINCIPAL;

/** The HTTP answer of each code, and its stable `error` word in the body. */
const HTTP: Record<IdentityErrorCode, { status: number; error: string }> = {
  [IDENTITY_UNAUTHENTICATED]: { status: 401, error: 'unauthenticated' },
  [IDENTITY_FORBIDDEN]: { status: 403, error: 'forbidden' },
  [IDENTITY_CSRF]: { status: 403, error: 'csrf' },
  [IDENTITY_BAD_CREDENTIALS]: { status: 401, error: 'bad_credentials' },
  [IDENTITY_LOCKED]: { status: 423, error: 'locked' },
  [IDENTITY_RATE_LIMITED]: { status: 429, error: 'rate_limited' },
  [IDENTITY_NOT_FOUND]: { status: 404, error: 'not_found' },
  [IDENTITY_CONFLICT]: { status: 409, error: 'conflict' },
  [IDENTITY_INVALID]: { status: 400, error: 'bad_request' },
  [IDENTITY_NO_PRINCIPAL]: { status: 500, error: 'internal' },
};

export class IdentityError extends AtalayaError<IdentityErrorCode> {
  readonly status: number;
  readonly error: string;
  readonly retryAfterS: number | undefined;

  constructor(code: IdentityErrorCode, message: string, options: { cause?: unknown; retryAfterS?: number } = {}) {
    const http = HTTP[code];
    super(code, message, { cause: options.cause, details: { status: http.status, retryAfterS: options.retryAfterS } });
    this.name = 'IdentityError';
    this.status = http.status;
    this.error = http.error;
    this.retryAfterS = options.retryAfterS;
  }
}

export function identityError(code: IdentityErrorCode, message: string, options?: { cause?: unknown; retryAfterS?: number }): IdentityError {
  return new IdentityError(code, message, options);
}

export function isIdentityError(err: unknown, code?: IdentityErrorCode): err is IdentityError {
  return err instanceof IdentityError && (code === undefined || err.code === code);
}
