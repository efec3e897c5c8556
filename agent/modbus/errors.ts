import { AtalayaError } from '../../protocols/errors.ts';

export const MODBUS_TIMEOUT = 'ATALAYA_MODBUS_TIMEOUT';
export const MODBUS_EXCEPTION = 'ATALAYA_MODBUS_EXCEPTION';
/** A bad answer: wrong CRC, wrong length, wrong unit or function. */
export const MODBUS_BAD_FRAME = 'ATALAYA_MODBUS_BAD_FRAME';
/** The line or socket is not open (unplugged adapter, refused or dropped connection). */
export const MODBUS_DISCONNECTED = 'ATALAYA_MODBUS_DISCONNECTED';
export const MODBUS_STOPPED = 'ATALAYA_MODBUS_STOPPED';

export type ModbusErrorCode = typeof MODBUS_TIMEOUT | typeof MODBUS_EXCEPTION | typeof MODBUS_BAD_FRAME | typeof MODBUS_DISCONNECTED | typeof MODBUS_STOPPED;

export class ModbusError extends AtalayaError<ModbusErrorCode> {
  /** Modbus exception code (Application Protocol §7) for MODBUS_EXCEPTION, else null. */
  readonly exception: number | null;

  constructor(code: ModbusErrorCode, message: string, options: { cause?: unknown; exception?: number; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'ModbusError';
    this.exception = options.exception ?? null;
  }
}

/** The device answered (even if with an exception): it is alive, so no back-off. */
export function deviceAnswered(err: ModbusError): boolean {
  return err.code === MODBUS_EXCEPTION;
}

/** A failure the next transaction may not have: worth a retry within the same poll. */
export function isRetryable(err: ModbusError): boolean {
  return err.code === MODBUS_TIMEOUT || err.code === MODBUS_BAD_FRAME || (err.code === MODBUS_EXCEPTION && err.exception === 6);
}

/**
 * Map what modbus-serial throws onto our codes, by its documented fields (`modbusCode`, `errno`),
 * never by message text.
 */
export function fromClientError(err: unknown, where: string): ModbusError {
  if (err instanceof ModbusError) return err;
  const e = (err ?? {}) as { modbusCode?: unknown; errno?: unknown; code?: unknown };
  if (typeof e.modbusCode === 'number') {
    return new ModbusError(MODBUS_EXCEPTION, `${where}: exception ${e.modbusCode}`, { cause: err, exception: e.modbusCode });
  }
  if (e.errno === 'ETIMEDOUT') return new ModbusError(MODBUS_TIMEOUT, `${where}: no answer in time`, { cause: err });
  const sys = typeof e.errno === 'string' ? e.errno : typeof e.code === 'string' ? e.code : undefined;
  if (sys !== undefined && /^E[A-Z]+$/.test(sys)) return new ModbusError(MODBUS_DISCONNECTED, `${where}: ${sys}`, { cause: err });
  return new ModbusError(MODBUS_BAD_FRAME, `${where}: bad answer`, { cause: err });
}
