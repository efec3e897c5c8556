import { AtalayaError } from '../../protocols/errors.ts';

/** The modem reports no usable signal (AT+CSQ 99): retryable, the signal may come back. */
export const PAGING_NO_SIGNAL = 'ATALAYA_PAGING_NO_SIGNAL';
/** The modem is not registered on a network (AT+CREG? stat other than 1 or 5): retryable. */
export const PAGING_NOT_REGISTERED = 'ATALAYA_PAGING_NOT_REGISTERED';
/** The SIM is not ready (needs a PIN that is not configured, or refused the one given). */
export const PAGING_SIM_NOT_READY = 'ATALAYA_PAGING_SIM_NOT_READY';
/** The network or modem refused the message: `+CMS ERROR: <n>` (`details.cms`), 3GPP TS 27.005 §3.2.5. */
export const PAGING_SEND_REFUSED = 'ATALAYA_PAGING_SEND_REFUSED';
/** The modem did not answer a command within its timeout (`details.command`). */
export const PAGING_MODEM_TIMEOUT = 'ATALAYA_PAGING_MODEM_TIMEOUT';
/** The modem answered ERROR or +CME ERROR to a command (`details.command`, `details.answer`). */
export const PAGING_MODEM_ERROR = 'ATALAYA_PAGING_MODEM_ERROR';
/** The serial port cannot be opened, or was lost (`cause`). */
export const PAGING_PORT_FAILED = 'ATALAYA_PAGING_PORT_FAILED';

export type PagingErrorCode =
  | typeof PAGING_NO_SIGNAL
  | typeof PAGING_NOT_REGISTERED
  | typeof PAGING_SIM_NOT_READY
  | typeof PAGING_SEND_REFUSED
  | typeof PAGING_MODEM_TIMEOUT
  | typeof PAGING_MODEM_ERROR
  | typeof PAGING_PORT_FAILED;

export class PagingError extends AtalayaError<PagingErrorCode> {
  constructor(code: PagingErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'PagingError';
  }
}

export function isPagingError(err: unknown): err is PagingError {
  return err instanceof PagingError;
}
