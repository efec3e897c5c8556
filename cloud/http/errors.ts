import { AtalayaError } from '../../protocols/errors.ts';

/** No or an unknown `Authorization: Bearer` token on a read API. */
export const API_UNAUTHENTICATED = 'ATALAYA_API_UNAUTHENTICATED';
/** A read API's query string failed validation; `problems` lists each parameter. */
export const API_INVALID_QUERY = 'ATALAYA_API_INVALID_QUERY';
/**
 * The resource does not exist, or belongs to another organization than the principal's (issue 15):
 * both answer the same 404, so a request never learns what another organization has.
 */
export const API_NOT_FOUND = 'ATALAYA_API_NOT_FOUND';
/** A route registered without the guard (auth.ts) that is not one of PUBLIC_ROUTES: the relay does not start. */
export const ROUTE_UNGUARDED = 'ATALAYA_RELAY_ROUTE_UNGUARDED';
/** The relay could not read its TLS certificate or key at start. */
export const TLS_UNREADABLE = 'ATALAYA_RELAY_TLS_UNREADABLE';

export type ApiErrorCode = typeof API_UNAUTHENTICATED | typeof API_INVALID_QUERY | typeof API_NOT_FOUND;

/** Body of every read API error: `error` is stable, `message` for people. */
export interface ApiErrorBody {
  readonly error:
    | 'unauthenticated'
    | 'invalid_query'
    | 'bad_request'
    | 'not_found'
    | 'conflict'
    | 'unavailable'
    | 'internal'
    // cloud/identity/errors.ts
    | 'forbidden'
    | 'csrf'
    | 'bad_credentials'
    | 'locked'
    | 'rate_limited';
  readonly message: string;
  readonly problems?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

export class ApiError extends AtalayaError<ApiErrorCode> {
  readonly status: number;
  readonly body: ApiErrorBody;

  constructor(code: ApiErrorCode, status: number, body: ApiErrorBody) {
    super(code, body.message, { details: { status } });
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

export function unauthenticated(message: string): ApiError {
  return new ApiError(API_UNAUTHENTICATED, 401, { error: 'unauthenticated', message });
}

export function invalidQuery(problems: ReadonlyArray<{ path: string; message: string }>): ApiError {
  const message = `invalid query: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  return new ApiError(API_INVALID_QUERY, 400, { error: 'invalid_query', message, problems });
}

export function notFound(message: string): ApiError {
  return new ApiError(API_NOT_FOUND, 404, { error: 'not_found', message });
}
