/**
 * Canonical encoding of a record: its identity for idempotency at the relay (same gateway and
 * seq, same bytes → duplicate; other bytes → conflict) and the leaf of later Ethereum anchoring.
 * Stored hashes depend on it, so it never changes: a new layout gets a new CANONICAL_VERSION and
 * leaves version 1 computable.
 *
 * Version 1 is the UTF-8 bytes of a JSON (RFC 8259) array without whitespace, in this order:
 *
 *   [1, gateway, seq, kind, device, channel, value, unit, quality, exception, ts, mono, bootId,
 *    priority, flags, alarm]
 *
 * where alarm is null, or [rule, level, state, threshold] when the record carries alarm detail.
 * Absent optionals (value, exception, threshold, alarm) are null.
 *
 * Numbers are written as ECMA-262 Number::toString (§6.1.6.1.20) writes them: the shortest
 * decimal that reads back as the same double, plain between 1e-7 and 1e21 (`12.5`, `0.000001`),
 * otherwise `d.ddde+NN` / `de-NN` (`1e+21`, `1e-300`); -0 is written 0; NaN and ±Infinity are
 * refused. seq, ts, mono, priority, flags and exception must be safe integers.
 *
 * Strings are written as ECMA-262 JSON.stringify writes them (QuoteJSONString, §25.5.2.3): `"`
 * and `\` escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`;
 * other code points below U+0020 and lone surrogates as `\u` + 4 lowercase hex digits; every
 * other character verbatim as UTF-8 (no Unicode normalization).
 *
 * Example: [1,"gw-01",42,"reading","gas-01","ch4",12.5,"%LEL","good",null,1750000000000,86400000,"b0",0,0,null]
 *
 * A Merkle tree over these hashes should domain-separate leaves from nodes itself (RFC 6962 §2.1).
 */
import { createHash } from 'node:crypto';
import type { StoredRecord } from '../records.ts';
import { malformed } from './errors.ts';

export const CANONICAL_VERSION = 1;

export function canonicalRecord(gateway: string, r: StoredRecord): Buffer {
  check(gateway, r);
  const a = r.alarm;
  const fields = [
    CANONICAL_VERSION,
    gateway,
    r.seq,
    r.kind,
    r.device,
    r.channel,
    r.value ?? null,
    r.unit,
    r.quality,
    r.exception ?? null,
    r.ts,
    r.mono,
    r.bootId,
    r.priority,
    r.flags,
    a === undefined || a === null ? null : [a.rule, a.level, a.state, a.threshold ?? null],
  ];
  return Buffer.from(JSON.stringify(fields), 'utf8');
}

/** sha256 of canonicalRecord, lowercase hex (64 characters). */
export function recordHash(gateway: string, r: StoredRecord): string {
  return createHash('sha256').update(canonicalRecord(gateway, r)).digest('hex');
}

/**
 * JSON.stringify would write NaN, ±Infinity and undefined as null, which would give records that
 * differ the same identity: refuse what the layout cannot write unambiguously.
 */
function check(gateway: string, r: StoredRecord): void {
  for (const [field, s] of [['gateway', gateway], ['kind', r.kind], ['device', r.device], ['channel', r.channel], ['unit', r.unit], ['quality', r.quality], ['bootId', r.bootId]] as const) {
    if (typeof s !== 'string') throw malformed(`${field}: expected a string`);
  }
  for (const [field, n] of [['seq', r.seq], ['ts', r.ts], ['mono', r.mono], ['priority', r.priority], ['flags', r.flags]] as const) {
    if (!Number.isSafeInteger(n)) throw malformed(`${field}: expected a safe integer`);
  }
  if (r.exception != null && !Number.isSafeInteger(r.exception)) throw malformed('exception: expected a safe integer or null');
  if (r.value != null && !Number.isFinite(r.value)) throw malformed('value: expected a finite number or null');
  const a = r.alarm;
  if (a === undefined || a === null) return;
  if (typeof a.rule !== 'string' || typeof a.level !== 'string' || typeof a.state !== 'string') throw malformed('alarm: expected rule, level and state strings');
  if (a.threshold != null && !Number.isFinite(a.threshold)) throw malformed('alarm.threshold: expected a finite number or null');
}
