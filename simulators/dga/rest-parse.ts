import type { IncomingHttpHeaders } from 'node:http';
import { checkFechaIso, checkObra, parseTimeStampOrigen } from './fields.ts';
import type { Submission } from './service.ts';
import type { ObraKind } from './types.ts';
import { KIND_REST } from './types.ts';

export type RestParse =
  | { readonly ok: true; readonly submission: Submission }
  | { readonly ok: false; readonly failure: 'header' | 'body' | 'field'; readonly message: string; readonly obra?: string };

const AUTH_KEYS = ['password', 'rutEmpresa', 'rutUsuario'] as const;

/** The `codigoObra` header when well formed, for burst counting and the log. */
export function headerObra(headers: IncomingHttpHeaders): string | undefined {
  const v = headers['codigoobra'];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A REST POST taken apart strictly (Manual Técnico 1/2025, "Envío de medición …"): JSON content
 * type; `codigoObra` and `timeStampOrigen` headers; a body with exactly `autenticacion` and the
 * path's measurement key, each with exactly its documented keys, every leaf a JSON string.
 */
export function parseRestPost(kind: ObraKind, headers: IncomingHttpHeaders, rawBody: string): RestParse {
  const contentType = headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : undefined;
  if (mediaType !== 'application/json') return { ok: false, failure: 'header', message: `Content-Type '${contentType ?? ''}' debe ser application/json` };
  const obra = headerObra(headers);
  if (obra === undefined) return { ok: false, failure: 'header', message: 'falta el header codigoObra' };
  const badObra = checkObra(obra);
  if (badObra !== undefined) return { ok: false, failure: 'header', message: badObra, obra };
  const stamp = headers['timestamporigen'];
  if (typeof stamp !== 'string') return { ok: false, failure: 'header', message: 'falta el header timeStampOrigen', obra };
  if (parseTimeStampOrigen(stamp) === undefined) {
    return { ok: false, failure: 'header', message: `timeStampOrigen '${stamp}' debe tener formato yyyy-MM-ddTHH:mm:ss-0000`, obra };
  }

  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { ok: false, failure: 'body', message: 'el cuerpo no es JSON válido', obra };
  }
  const { key, fields } = KIND_REST[kind];
  const top = exactObject(body, 'body', ['autenticacion', key]);
  if (typeof top === 'string') return { ok: false, failure: 'body', message: top, obra };
  const auth = exactStrings(top['autenticacion'], 'autenticacion', AUTH_KEYS);
  if (typeof auth === 'string') return { ok: false, failure: 'body', message: auth, obra };
  const m = exactStrings(top[key], key, fields);
  if (typeof m === 'string') return { ok: false, failure: 'body', message: m, obra };
  const fecha = m['fechaMedicion']!;
  const badFecha = checkFechaIso(fecha);
  if (badFecha !== undefined) return { ok: false, failure: 'field', message: badFecha, obra };
  return {
    ok: true,
    submission: {
      transport: 'rest',
      obra,
      kind,
      rutUsuario: auth['rutUsuario']!,
      password: auth['password']!,
      rutEmpresa: auth['rutEmpresa']!,
      fechaMedicion: fecha,
      horaMedicion: m['horaMedicion']!,
      caudal: m['caudal']!,
      ...(m['totalizador'] !== undefined ? { totalizador: m['totalizador'] } : {}),
      ...(m['nivelFreaticoDelPozo'] !== undefined ? { nivelFreaticoDelPozo: m['nivelFreaticoDelPozo'] } : {}),
      ...(m['alturaLimnimetrica'] !== undefined ? { alturaLimnimetrica: m['alturaLimnimetrica'] } : {}),
    },
  };
}

/** A plain object with exactly `keys`, or a problem naming the first wrong key. */
function exactObject(value: unknown, at: string, keys: readonly string[]): Record<string, unknown> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at} debe ser un objeto JSON`;
  const obj = value as Record<string, unknown>;
  const extra = Object.keys(obj).find((k) => !keys.includes(k));
  if (extra !== undefined) return `campo no permitido: ${at === 'body' ? extra : `${at}.${extra}`}`;
  const missing = keys.find((k) => !(k in obj));
  if (missing !== undefined) return `falta el campo ${at === 'body' ? missing : `${at}.${missing}`}`;
  return obj;
}

/** Like exactObject, and every value a JSON string (the manual types every leaf "string"). */
function exactStrings(value: unknown, at: string, keys: readonly string[]): Record<string, string> | string {
  const obj = exactObject(value, at, keys);
  if (typeof obj === 'string') return obj;
  const notString = keys.find((k) => typeof obj[k] !== 'string');
  if (notString !== undefined) return `${at}.${notString} debe ser un string JSON (llegó ${JSON.stringify(obj[notString])})`;
  return obj as Record<string, string>;
}
