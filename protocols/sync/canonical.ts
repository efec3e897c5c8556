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
import crypto from 'node:crypto';
import type { StoredRecord } from '../records.ts';
import { malformed } from './errors.ts';

export const CANONICAL_VERSION = 1;

export function canonicalRecord(gateway: string, r: StoredRecord): Buffer {
  return Buffer.from(canonicalText(gateway, r), 'utf8');
}

/** sha256 of canonicalRecord, lowercase hex (64 characters). */
export function recordHash(gateway: string, r: StoredRecord): string {
  return sha256Hex(canonicalText(gateway, r));
}

/**
 * recordHash of each record of one gateway's batch, in order. The relay hashes every record it
 * receives, and a batch repeats a few strings (device, channel, unit, kind, quality, boot id)
 * over and over: each is written as JSON once per call, and each record's text is put together
 * from those pieces and its numbers (issue 18: ~0.2 µs less per reading than recordHash).
 * Every record passes the same check first; test/unit/sync-canonical-batch.test.ts holds the two
 * to the same hashes.
 */
export function recordHashes(gateway: string, records: readonly StoredRecord[]): string[] {
  string('gateway', gateway);
  const json = new Map<string, string>();
  const quoted = (s: string): string => {
    let q = json.get(s);
    if (q === undefined) json.set(s, (q = JSON.stringify(s)));
    return q;
  };
  const head = `[${CANONICAL_VERSION},${quoted(gateway)},`;
  const hashes = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    check(gateway, r);
    const a = r.alarm;
    const alarm = a === undefined || a === null ? 'null' : `[${quoted(a.rule)},${quoted(a.level)},${quoted(a.state)},${a.threshold ?? null}]`;
    // Template literals write numbers as JSON.stringify does (Number::toString; -0 as 0).
    hashes[i] = sha256Hex(
      `${head}${r.seq},${quoted(r.kind)},${quoted(r.device)},${quoted(r.channel)},${r.value ?? null},${quoted(r.unit)},${quoted(r.quality)},` +
        `${r.exception ?? null},${r.ts},${r.mono},${quoted(r.bootId)},${r.priority},${r.flags},${alarm}]`,
    );
  }
  return hashes;
}

/**
 * The relay hashes every record it receives, so this runs per reading. One JSON.stringify of the
 * array measured as fast as concatenating the fields by hand (whose rope the hash must flatten)
 * and is the layout's definition word for word; the text is hashed without a Buffer of its own.
 */
function canonicalText(gateway: string, r: StoredRecord): string {
  check(gateway, r);
  const a = r.alarm;
  return JSON.stringify([
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
  ]);
}

/**
 * sha256 of a string's UTF-8 bytes, hex. crypto.hash (Node ≥ 20.12) is one native call and half
 * the cost of a Hash object per record; older Node 20 releases (package.json engines) lack it.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * JSON.stringify would write NaN, ±Infinity and undefined as null, which would give records that
 * differ the same identity: refuse what the layout cannot write unambiguously.
 */
function check(gateway: string, r: StoredRecord): void {
  string('gateway', gateway);
  string('kind', r.kind);
  string('device', r.device);
  string('channel', r.channel);
  string('unit', r.unit);
  string('quality', r.quality);
  string('bootId', r.bootId);
  safeInteger('seq', r.seq);
  safeInteger('ts', r.ts);
  safeInteger('mono', r.mono);
  safeInteger('priority', r.priority);
  safeInteger('flags', r.flags);
  if (r.exception != null && !Number.isSafeInteger(r.exception)) throw malformed('exception: expected a safe integer or null');
  if (r.value != null && !Number.isFinite(r.value)) throw malformed('value: expected a finite number or null');
  const a = r.alarm;
  if (a === undefined || a === null) return;
  if (typeof a.rule !== 'string' || typeof a.level !== 'string' || typeof a.state !== 'string')
    throw malformed('alarm: expected rule, level and state strings');
  if (a.threshold != null && !Number.isFinite(a.threshold)) throw malformed('alarm.threshold: expected a finite number or null');
}

// Separate functions rather than a loop over [field, value] pairs: no array per record.
function string(field: string, v: unknown): void {
  if (typeof v !== 'string') throw malformed(`${field}: expected a string`);
}

function safeInteger(field: string, v: unknown): void {
  if (!Number.isSafeInteger(v)) throw malformed(`${field}: expected a safe integer`);
}
