/**
 * Obra code ("código de la obra"), Manual Técnico N°1/2025 §5.2: `OB` (captación) or `OR`
 * (restitución), then the DGA region and province codes, two digits each, then a correlative ≥ 1 per
 * region and province. E.g. `OB-0602-7`: the 7th captación registered in O'Higgins (06), Colchagua (02).
 */
import { obraError } from './errors.ts';

export const OBRA_PATTERN = /^O[BR]-\d{4}-\d+$/;

export interface Obra {
  readonly code: string;
  readonly tipo: 'captacion' | 'restitucion';
  readonly region: number;
  readonly provincia: number;
  readonly correlativo: number;
}

/** Strict: the code is sent as given, so it is not normalized (no trimming or case folding). Throws ATALAYA_DGA_OBRA. */
export function parseObra(code: string): Obra {
  if (typeof code !== 'string' || !OBRA_PATTERN.test(code)) throw obraError(code, 'expected O[BR]-RRPP-N, e.g. OB-0602-7');
  const correlativo = Number(code.slice(8));
  if (!Number.isSafeInteger(correlativo) || correlativo < 1) throw obraError(code, 'the correlative must be an integer ≥ 1');
  return {
    code,
    tipo: code[1] === 'B' ? 'captacion' : 'restitucion',
    region: Number(code.slice(3, 5)),
    provincia: Number(code.slice(5, 7)),
    correlativo,
  };
}

/** The code itself when valid; throws ATALAYA_DGA_OBRA otherwise. */
export function assertObra(code: string): string {
  return parseObra(code).code;
}

export function isValidObra(code: string): boolean {
  try {
    parseObra(code);
    return true;
  } catch {
    return false;
  }
}
