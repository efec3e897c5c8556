import { DGA_UTC_OFFSET_MS, isoToDmy, stripNumber } from './fields.ts';
import { SOAP_ENV_NS } from './soap-parse.ts';
import type { StoredMeasurement } from './types.ts';

/**
 * Answer objects for the soap package (it serializes them against the project WSDL), and the
 * one answer it cannot make for us: a Fault for a request that breaks the schema.
 */

export interface SendAnswer {
  numeroComprobante: string;
  status: { Code: string; Description: string };
}

/** Legacy success is `status/Code` "0" (XSD annotation "0 implica exitoso"). */
export function sendOk(receipt: string): SendAnswer {
  return { numeroComprobante: receipt, status: { Code: '0', Description: 'Medición ingresada correctamente' } };
}

/**
 * A refusal. GUESS: the legacy service's codes are undocumented; a duplicate carries the
 * original receipt in Description only, as the REST message does, so a client must read it there.
 */
export function sendRefused(code: string, description: string): SendAnswer {
  return { numeroComprobante: '', status: { Code: code, Description: description } };
}

export interface GetAnswer {
  medicion?: Record<string, string | number>;
  status: { Code: string; Description: string };
}

/**
 * getDataExtraccionResponse: the legacy Medicion has dates dd-mm-yyyy and no hour; numbers come
 * back as the REST GET gives them (trailing zeros stripped); a value the obra's kind lacks, or
 * sent empty, is left out.
 */
export function getFound(m: StoredMeasurement): GetAnswer {
  const medicion: Record<string, string | number> = {
    idMedicion: m.id,
    fechaIngreso: isoToDmy(new Date(m.receivedAt + DGA_UTC_OFFSET_MS).toISOString().slice(0, 10)),
    fechaMedicion: isoToDmy(m.fechaMedicion),
    caudal: stripNumber(m.caudal),
  };
  for (const key of ['alturaLimnimetrica', 'totalizador', 'nivelFreaticoDelPozo'] as const) {
    const v = m[key];
    if (v !== undefined && v !== '') medicion[key] = stripNumber(v);
  }
  return { medicion, status: { Code: '0', Description: '' } };
}

export function getRefused(code: string, description: string): GetAnswer {
  return { status: { Code: code, Description: description } };
}

/** SOAP 1.1 §4.4 Fault, faultcode Client: the message is wrong and must not be resent as is. */
export function clientFault(reason: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV_NS}"><soap:Body><soap:Fault>` +
    `<faultcode>soap:Client</faultcode><faultstring>${escapeXml(reason)}</faultstring>` +
    `</soap:Fault></soap:Body></soap:Envelope>`
  );
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
