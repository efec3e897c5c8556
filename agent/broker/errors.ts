import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** A listener could not bind (address in use, no permission, bad host); details name type, host and port. */
export const BROKER_LISTEN = 'ATALAYA_BROKER_LISTEN';
/** A TLS/WSS certificate or key file, or the credentials file, could not be read or parsed. */
export const BROKER_FILE = 'ATALAYA_BROKER_FILE';
/** Options that the schema cannot check: duplicate users, a gateway id that collides with the ingest tree. */
export const BROKER_INVALID_OPTIONS = 'ATALAYA_BROKER_INVALID_OPTIONS';
/** Handed to aedes to close a client's connection: a publish was refused (ACL, flood) or could not be stored. */
export const BROKER_REFUSED = 'ATALAYA_BROKER_REFUSED';
/** A connection closed before it authenticated; details.reason: oversized_packet, malformed_length (issue 19). */
export const BROKER_PACKET_REFUSED = 'ATALAYA_BROKER_PACKET_REFUSED';
/** start() on a broker that was stopped. */
export const BROKER_STOPPED = 'ATALAYA_BROKER_STOPPED';

export type BrokerErrorCode =
  | typeof BROKER_LISTEN
  | typeof BROKER_FILE
  | typeof BROKER_INVALID_OPTIONS
  | typeof BROKER_REFUSED
  | typeof BROKER_PACKET_REFUSED
  | typeof BROKER_STOPPED;

export class BrokerError extends AtalayaError<BrokerErrorCode> {
  constructor(code: BrokerErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'BrokerError';
  }
}

export function isBrokerError(err: unknown, code?: BrokerErrorCode): err is BrokerError {
  return err instanceof BrokerError && isAtalayaError(err, code);
}

export function listenFailed(type: string, host: string, port: number, cause: unknown): BrokerError {
  const errno = (cause as { code?: unknown } | null)?.code;
  return new BrokerError(BROKER_LISTEN, `cannot listen for MQTT (${type}) on ${host}:${port}${typeof errno === 'string' ? `: ${errno}` : ''}`, {
    cause,
    details: { type, host, port, errno },
  });
}

export function fileFailed(what: string, file: string, cause: unknown): BrokerError {
  return new BrokerError(BROKER_FILE, `cannot read ${what} ${file}`, { cause, details: { what, file } });
}

export function invalidOptions(problems: readonly string[]): BrokerError {
  return new BrokerError(BROKER_INVALID_OPTIONS, `invalid broker options:\n  ${problems.join('\n  ')}`, { details: { problems } });
}

export function refused(reason: string, cause?: unknown): BrokerError {
  return new BrokerError(BROKER_REFUSED, `publish refused: ${reason}`, { cause, details: { reason } });
}

export function packetRefused(reason: string, details: Record<string, unknown> = {}): BrokerError {
  return new BrokerError(BROKER_PACKET_REFUSED, `MQTT packet refused before parsing: ${reason}`, { details: { reason, ...details } });
}

export function stoppedError(): BrokerError {
  return new BrokerError(BROKER_STOPPED, 'broker was stopped: create a new MqttBroker');
}
