import { AtalayaError } from '../../protocols/errors.ts';

/** The status server could not bind its address (port taken, address not on this machine). */
export const STATUS_LISTEN = 'ATALAYA_STATUS_LISTEN';
/** ATALAYA_STATUS_TOKENS holds something that is not a sha256 hex digest. */
export const STATUS_TOKENS_INVALID = 'ATALAYA_STATUS_TOKENS_INVALID';
/** No token, or one whose sha256 is not configured. */
export const STATUS_UNAUTHENTICATED = 'ATALAYA_STATUS_UNAUTHENTICATED';
/** A body or query that fails validation, or a request the target cannot serve (a device not on Modbus). */
export const STATUS_BAD_REQUEST = 'ATALAYA_STATUS_BAD_REQUEST';
/** A POST whose body is not declared application/json (the CSRF guard, with SameSite=Strict). */
export const STATUS_UNSUPPORTED_MEDIA_TYPE = 'ATALAYA_STATUS_UNSUPPORTED_MEDIA_TYPE';
export const STATUS_NOT_FOUND = 'ATALAYA_STATUS_NOT_FOUND';
/** The register inspector's read failed on the device's link; the body carries the Modbus code. */
export const STATUS_MODBUS_ERROR = 'ATALAYA_STATUS_MODBUS_ERROR';

export type StatusHttpCode =
  | typeof STATUS_UNAUTHENTICATED
  | typeof STATUS_BAD_REQUEST
  | typeof STATUS_UNSUPPORTED_MEDIA_TYPE
  | typeof STATUS_NOT_FOUND
  | typeof STATUS_MODBUS_ERROR;

/** Error body of every API: `error` is stable (snake case), `message` for people. */
export interface StatusErrorBody {
  readonly error: 'unauthenticated' | 'bad_request' | 'unsupported_media_type' | 'not_found' | 'modbus_error' | 'unavailable' | 'internal';
  readonly message: string;
  /** modbus_error: the ATALAYA_MODBUS_… code; exception: the Modbus exception code (Application Protocol §7). */
  readonly code?: string;
  readonly exception?: number | null;
}

/** A refusal with its HTTP status and body, thrown by hooks and handlers. */
export class StatusHttpError extends AtalayaError<StatusHttpCode> {
  readonly status: number;
  readonly body: StatusErrorBody;

  constructor(code: StatusHttpCode, status: number, body: StatusErrorBody, cause?: unknown) {
    super(code, body.message, { cause, details: { status } });
    this.name = 'StatusHttpError';
    this.status = status;
    this.body = body;
  }
}

export const unauthenticated = (message: string): StatusHttpError => new StatusHttpError(STATUS_UNAUTHENTICATED, 401, { error: 'unauthenticated', message });

export const badRequest = (message: string): StatusHttpError => new StatusHttpError(STATUS_BAD_REQUEST, 400, { error: 'bad_request', message });

export const notFound = (message: string): StatusHttpError => new StatusHttpError(STATUS_NOT_FOUND, 404, { error: 'not_found', message });

export const unsupportedMediaType = (): StatusHttpError =>
  new StatusHttpError(STATUS_UNSUPPORTED_MEDIA_TYPE, 415, {
    error: 'unsupported_media_type',
    message: 'POST bodies must be sent as content-type: application/json',
  });
