/**
 * Wire form of the fleet channel: a poll is gzip (RFC 1952) of its JSON, like an ingest batch
 * (the body of a cellular request is what the gateway pays for); an answer is plain JSON (UTF-8),
 * signed as sent. Decoding is bounded: the relay reads a poll before anything is parsed only up
 * to `maxInflatedBytes` (zlib's maxOutputLength stops the inflation there).
 */
import zlib from 'node:zlib';
import { fleetMalformed, fleetTooLarge } from './errors.ts';
import { type FleetAnswer, type FleetPoll, fleetAnswerSchema, fleetPollSchema } from './types.ts';

export function encodePoll(poll: FleetPoll): Buffer {
  return zlib.gzipSync(Buffer.from(JSON.stringify(poll), 'utf8'));
}

/** Throws ATALAYA_FLEET_TOO_LARGE past `maxInflatedBytes`, ATALAYA_FLEET_MALFORMED for anything not a v1 poll. */
export function decodePoll(body: Uint8Array, maxInflatedBytes: number): FleetPoll {
  let json: Buffer;
  try {
    json = zlib.gunzipSync(body, { maxOutputLength: maxInflatedBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw fleetTooLarge(maxInflatedBytes, err);
    throw fleetMalformed('poll', 'not gzip', err);
  }
  return parse(json, 'poll', (v) => fleetPollSchema.safeParse(v));
}

export function encodeAnswer(answer: FleetAnswer): Buffer {
  return Buffer.from(JSON.stringify(answer), 'utf8');
}

/** Throws ATALAYA_FLEET_MALFORMED for anything not a v1 answer. */
export function decodeAnswer(body: Uint8Array): FleetAnswer {
  return parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength), 'answer', (v) => fleetAnswerSchema.safeParse(v));
}

type Parsed<T> = { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };

function parse<T>(json: Buffer, what: 'poll' | 'answer', check: (v: unknown) => Parsed<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    throw fleetMalformed(what, 'not UTF-8 JSON', err);
  }
  const result = check(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    throw fleetMalformed(what, `${where}: ${issue?.message ?? 'invalid'}`, result.error);
  }
  return result.data;
}
