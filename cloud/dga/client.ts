/**
 * One interface over DGA's two services (reference: Res. Ex. DGA 2.170/2025; the legacy SOAP WSDL):
 * REST by default (rest-client.ts), SOAP where an obra is still configured for it (soap-client.ts);
 * clients.ts builds them.
 * A client never throws for what DGA or the network did: every answer, or the lack of one, is a
 * DgaOutcome. It throws only when the measurement cannot be put into a request at all (DgaError).
 */
import type { DgaCredentials, DgaOutcome, DgaQueryOutcome, EmptyValueGround, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import type { DgaInterface } from './config.ts';

/** A DGA outcome with the HTTP status of the answer (null when none came). */
export type DgaSendOutcome = DgaOutcome & { readonly httpStatus: number | null };

/** What the audit keeps of a request: everything but the password, which reads `[redacted]`. */
export type RedactedRequest = Readonly<Record<string, unknown>> & { readonly interface: DgaInterface };

export const REDACTED = '[redacted]';

export interface DgaClient {
  readonly iface: DgaInterface;
  /**
   * The request `send` would make, password redacted. Throws ATALAYA_DGA_* when it cannot be built.
   * `emptyGround`: the manual's ground for an empty level or staff gauge (config.ts emptyValueGround).
   */
  describe(
    obra: string,
    kind: WorkKind,
    credentials: DgaCredentials,
    measurement: Measurement,
    sentAt: number,
    emptyGround?: EmptyValueGround,
  ): RedactedRequest;
  send(
    obra: string,
    kind: WorkKind,
    credentials: DgaCredentials,
    measurement: Measurement,
    sentAt: number,
    emptyGround?: EmptyValueGround,
  ): Promise<DgaSendOutcome>;
  /** Reads back what DGA stored under a receipt (no credentials). */
  query(obra: string, kind: WorkKind, receipt: string): Promise<DgaQueryOutcome>;
  /** Closes its connections; idempotent. */
  close(): Promise<void>;
}

/** Network failures as a reason: whether the request may have reached DGA decides what a person reads. */
export function transportReason(err: unknown, timeoutMs: number): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.name === 'string' ? e.name : 'error';
  if (NOT_SENT.has(code)) return `not sent: cannot connect (${code})`;
  if (TIMEOUTS.has(code)) return `no answer within ${timeoutMs} ms (${code}): DGA may have stored it; the next attempt's duplicate answer will tell`;
  return `no answer (${code}): DGA may have stored it; the next attempt's duplicate answer will tell`;
}

/** The request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TimeoutError', 'AbortError', 'ECONNABORTED', 'ETIMEDOUT']);
