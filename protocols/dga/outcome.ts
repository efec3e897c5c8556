/**
 * What a DGA answer means, the same for REST and SOAP. DGA documents few answers (Manual Técnico
 * N°1/2025 §5.1: only "00" is success); two error messages matter because the right reaction differs:
 * a duplicate means DGA already holds the measurement (never resend it, §6.3), and "not the
 * registered informant" needs a person. DGA documents no status code for either, so the text is
 * matched here, loosely: case, accents, punctuation and whitespace are ignored. The codecs also take a
 * refusal that carries a receipt in the answer's receipt field as a duplicate (rest.ts, soap.ts), and
 * the relay caps the sends of one slot (dga.maxAttemptsPerSlot) in case DGA rewords its message.
 */
import type { MeasurementFields } from './measurement.ts';

/** DGA receipt ("numeroComprobante"): 32 letters and digits, case-sensitive. */
export const RECEIPT_PATTERN = /^[A-Za-z0-9]{32}$/;

export function isReceipt(value: unknown): value is string {
  return typeof value === 'string' && RECEIPT_PATTERN.test(value);
}

/** Longest receipt text kept from an irregular success answer, characters. */
const IRREGULAR_RECEIPT_MAX = 200;

/**
 * A success answer ("00" / Code 0): accepted with its receipt, or accepted-irregular when the receipt
 * is not a well-formed one or the HTTP status is not 2xx. Never a failure: DGA holds the measurement.
 */
export function successOutcome(receipt: unknown, httpStatus: number | null): Extract<DgaOutcome, { kind: 'accepted' | 'accepted-irregular' }> {
  const httpOk = httpStatus === null || (httpStatus >= 200 && httpStatus < 300);
  if (isReceipt(receipt) && httpOk) return { kind: 'accepted', receipt };
  const kept = typeof receipt === 'string' && receipt.trim() !== '' ? receipt.slice(0, IRREGULAR_RECEIPT_MAX) : null;
  const problems: string[] = [];
  if (!httpOk) problems.push(`HTTP ${httpStatus}`);
  if (kept === null) problems.push('no receipt');
  else if (!isReceipt(receipt)) problems.push('a receipt that is not 32 letters and digits');
  return {
    kind: 'accepted-irregular',
    receipt: kept,
    reason: `success answer with ${problems.join(' and ')}: DGA holds the measurement; a person should check the receipt`,
  };
}

export type DgaOutcome =
  /** Stored; keep the receipt. */
  | { readonly kind: 'accepted'; readonly receipt: string }
  /**
   * DGA said success ("00" / Code 0) but the receipt is not 32 letters and digits, is missing, or the
   * HTTP status is not 2xx. Success means DGA holds the measurement, and a measurement it holds can
   * never be sent again (Res. 2.170 §6.3): accepted, the receipt kept exactly as given (null when
   * none), flagged for a person with `reason`.
   */
  | { readonly kind: 'accepted-irregular'; readonly receipt: string | null; readonly reason: string }
  /**
   * DGA already holds a measurement for this obra, date and hour: treat as sent. `receipt` is the one
   * embedded in the message, null if the message carried none (still never resend).
   */
  | { readonly kind: 'duplicate'; readonly receipt: string | null }
  /** The user is not the informant registered for the obra: retrying cannot help. */
  | { readonly kind: 'not-informant' }
  /** A DGA status other than success. `status` is the HTTP status when known. Retry the next day (§6.2). */
  | { readonly kind: 'rejected'; readonly status: number | null; readonly code: string; readonly message: string }
  /** No valid DGA answer (an HTML page from a proxy, not JSON, fields missing): the outcome is unknown. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Answer of a receipt check (REST GET, SOAP getDataExtraccionOp). */
export type DgaQueryOutcome =
  /** What DGA stored, with `fechaMedicion` normalized to `YYYY-MM-DD`. */
  | { readonly kind: 'found'; readonly measurement: MeasurementFields }
  | { readonly kind: 'rejected'; readonly status: number | null; readonly code: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Lower case, accents and punctuation removed, whitespace collapsed: "Ya existe  un Registro…" → "ya existe un registro". */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** "Ya existe un registro en esa fecha, hora para la obra. Comprobante: <receipt>" (docs/dga.md#answers). */
const DUPLICATE = 'ya existe un registro en esa fecha';
/** "Usuario no es el informante registrado en la Obra". */
const NOT_INFORMANT = 'usuario no es el informante registrado';
const EMBEDDED_RECEIPT = /comprobante\W*([A-Za-z0-9]{32})(?![A-Za-z0-9])/iu;

/** The outcome a DGA message alone implies (duplicate, not-informant), or null. */
export function classifyMessage(message: string): Extract<DgaOutcome, { kind: 'duplicate' | 'not-informant' }> | null {
  const folded = foldText(message);
  if (folded.includes(DUPLICATE)) {
    const receipt = EMBEDDED_RECEIPT.exec(message)?.[1] ?? null;
    return { kind: 'duplicate', receipt };
  }
  if (folded.includes(NOT_INFORMANT)) return { kind: 'not-informant' };
  return null;
}

/** A short, single-line excerpt of a peer's text for a reason string. */
export function excerpt(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
