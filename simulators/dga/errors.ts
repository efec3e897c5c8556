import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** Stable codes of the DGA service double; tests and the CLI branch on `code`, never on text. */

/** The simulator options are invalid (bad registry entry, fault settings, status table…). */
export const ATALAYA_DGA_SIM_CONFIG = 'ATALAYA_DGA_SIM_CONFIG';
/** A listener could not be opened (address in use, permission denied). */
export const ATALAYA_DGA_SIM_LISTEN = 'ATALAYA_DGA_SIM_LISTEN';
/** The project WSDL could not be read or the soap package refused it. */
export const ATALAYA_DGA_SIM_WSDL = 'ATALAYA_DGA_SIM_WSDL';

export type DgaSimErrorCode = typeof ATALAYA_DGA_SIM_CONFIG | typeof ATALAYA_DGA_SIM_LISTEN | typeof ATALAYA_DGA_SIM_WSDL;

/** One problem in the options, `path` named as in the options (`registry[1].informantRut`). */
export interface DgaSimConfigProblem {
  readonly path: string;
  readonly problem: string;
}

export function dgaSimConfigInvalid(problems: readonly DgaSimConfigProblem[]): AtalayaError<typeof ATALAYA_DGA_SIM_CONFIG> {
  const summary = problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
  return new AtalayaError(ATALAYA_DGA_SIM_CONFIG, `invalid DGA simulator options: ${summary}`, { details: { problems } });
}

export function dgaSimListenFailed(host: string, port: number, cause: unknown): AtalayaError<typeof ATALAYA_DGA_SIM_LISTEN> {
  return new AtalayaError(ATALAYA_DGA_SIM_LISTEN, `cannot listen on ${host}:${port}`, { cause, details: { host, port } });
}

export function dgaSimWsdlFailed(path: string, cause: unknown): AtalayaError<typeof ATALAYA_DGA_SIM_WSDL> {
  return new AtalayaError(ATALAYA_DGA_SIM_WSDL, `cannot load the DGA WSDL ${path}`, { cause, details: { path } });
}

const CODES: ReadonlySet<string> = new Set<DgaSimErrorCode>([ATALAYA_DGA_SIM_CONFIG, ATALAYA_DGA_SIM_LISTEN, ATALAYA_DGA_SIM_WSDL]);

export function isDgaSimError(err: unknown): err is AtalayaError<DgaSimErrorCode> {
  return isAtalayaError(err) && CODES.has(err.code);
}
