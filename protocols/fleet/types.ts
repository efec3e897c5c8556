/**
 * The fleet channel (issue 16): a gateway polls the relay, POST /v1/fleet/poll, signed like ingest
 * (protocols/sync/signature.ts); the relay answers with parts for the gateway, signed with the
 * same gateway secret and bound to the poll's nonce (protocols/sync/response-signature.ts).
 * Each feature of the fleet (health, remote configuration, commands, updates) is a named part:
 * the poll carries each part's report, the answer each part's instructions. See README.md.
 */
import { z } from 'zod';
import { healthReportSchema } from './health.ts';

export const FLEET_POLL_PATH = '/v1/fleet/poll';
export const FLEET_VERSION = 1;

/** A part's name: the key of its report in a poll and of its answer in the relay's answer. */
export const PART_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Most parts in one poll or answer. */
export const MAX_PARTS = 16;

const partName = z.string().regex(PART_NAME, 'a part name: a-z, 0-9, -, 1..32, starting with a letter');
/** A part's payload: any JSON value (its part validates it); undefined entries are dropped by JSON. */
const parts = z.record(partName, z.unknown()).refine((p) => Object.keys(p).length <= MAX_PARTS, `at most ${MAX_PARTS} parts`);

export const fleetPollSchema = z.strictObject({
  v: z.literal(FLEET_VERSION),
  health: healthReportSchema.optional(),
  parts,
});

export const fleetAnswerSchema = z.strictObject({
  v: z.literal(FLEET_VERSION),
  /** Relay wall clock when it answered, ms since the epoch. */
  now: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  parts,
});

export type FleetPoll = z.output<typeof fleetPollSchema>;
export type FleetAnswer = z.output<typeof fleetAnswerSchema>;
