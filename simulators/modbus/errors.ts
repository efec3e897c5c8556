import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** Stable codes of the Modbus simulators; tests and the CLI branch on `code`, never on text. */

/** The simulator options are invalid (unknown scenario, duplicate unit id, bad fault settings…). */
export const ATALAYA_SIM_CONFIG = 'ATALAYA_SIM_CONFIG';
/** The serial device could not be opened (missing path, permissions, unsupported settings). */
export const ATALAYA_SIM_SERIAL = 'ATALAYA_SIM_SERIAL';
/** The TCP server could not listen (address in use, permission denied). */
export const ATALAYA_SIM_LISTEN = 'ATALAYA_SIM_LISTEN';

export type SimErrorCode = typeof ATALAYA_SIM_CONFIG | typeof ATALAYA_SIM_SERIAL | typeof ATALAYA_SIM_LISTEN;

/** One problem in the options, `path` named as in the config (`devices[1].scenario`). */
export interface SimConfigProblem {
  readonly path: string;
  readonly problem: string;
}

export function simConfigInvalid(problems: readonly SimConfigProblem[]): AtalayaError<typeof ATALAYA_SIM_CONFIG> {
  const summary = problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
  return new AtalayaError(ATALAYA_SIM_CONFIG, `invalid simulator options: ${summary}`, { details: { problems } });
}

export function serialOpenFailed(path: string, cause: unknown): AtalayaError<typeof ATALAYA_SIM_SERIAL> {
  return new AtalayaError(ATALAYA_SIM_SERIAL, `cannot open serial device ${path}`, { cause, details: { path } });
}

export function listenFailed(host: string, port: number, cause: unknown): AtalayaError<typeof ATALAYA_SIM_LISTEN> {
  return new AtalayaError(ATALAYA_SIM_LISTEN, `cannot listen on ${host}:${port}`, { cause, details: { host, port } });
}

const CODES: ReadonlySet<string> = new Set<SimErrorCode>([ATALAYA_SIM_CONFIG, ATALAYA_SIM_SERIAL, ATALAYA_SIM_LISTEN]);

export function isSimError(err: unknown): err is AtalayaError<SimErrorCode> {
  return isAtalayaError(err) && CODES.has(err.code);
}
