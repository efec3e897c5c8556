/**
 * POST /v1/fleet/poll without HTTP: authenticate like ingest (cloud/ingest/authenticate.ts: HMAC,
 * timestamp window, then the nonce once the body is known to be a bounded v1 poll), record the
 * poll and its health report, hand each registered part its report, gather the parts' answers
 * and sign the answer for this request's nonce (protocols/sync/response-signature.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { decodePoll, encodeAnswer } from '../../protocols/fleet/codec.ts';
import { ATALAYA_FLEET_MALFORMED, ATALAYA_FLEET_TOO_LARGE, isFleetError, partInvalid } from '../../protocols/fleet/errors.ts';
import { FLEET_POLL_PATH, FLEET_VERSION, type FleetAnswer, type FleetPoll, PART_NAME } from '../../protocols/fleet/types.ts';
import { signResponse } from '../../protocols/sync/response-signature.ts';
import { authenticate, claimFreshNonce, type SignedRequestChecks } from '../ingest/authenticate.ts';
import { refuse } from '../ingest/errors.ts';
import type { RequestHeaders } from '../ingest/headers.ts';
import type { FleetStore } from '../store/fleet-types.ts';
import type { FleetRelayPart } from './part.ts';
import type { FleetConfig } from './schema.ts';

export interface FleetServiceOptions {
  readonly checks: SignedRequestChecks;
  readonly store: FleetStore;
  readonly config: FleetConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A signed answer, ready to send: `body` exactly as signed. */
export interface SignedAnswer {
  readonly status: 200;
  readonly body: Buffer;
  readonly timestamp: number;
  readonly signature: string;
}

export class FleetService {
  private readonly parts = new Map<string, FleetRelayPart>();
  private readonly logger: Logger;

  constructor(private readonly o: FleetServiceOptions) {
    this.logger = o.logger.child({ component: 'fleet' });
  }

  /** Adds a part (composition root only, before the relay listens); throws ATALAYA_FLEET_PART_INVALID (protocols/fleet/errors.ts) for a bad or taken name. */
  register(part: FleetRelayPart): void {
    if (!PART_NAME.test(part.name) || this.parts.has(part.name)) throw partInvalid(part.name);
    this.parts.set(part.name, part);
  }

  get config(): FleetConfig {
    return this.o.config;
  }

  /** The signed answer to an accepted poll; throws IngestRefused (401, 400, 413) or a store error (503). */
  async handle(headers: RequestHeaders, body: Buffer): Promise<SignedAnswer> {
    const { checks, store, config } = this.o;
    const authenticated = await authenticate(checks, FLEET_POLL_PATH, headers, body);
    const { gateway, now } = authenticated;
    const poll = this.decode(body, gateway);
    await claimFreshNonce(checks, authenticated);
    await store.recordPoll(gateway, now, poll.health, now - config.historyMs);
    await this.reports(gateway, poll, now);
    const answer: FleetAnswer = { v: FLEET_VERSION, now, parts: await this.answers(gateway, now) };
    const bytes = encodeAnswer(answer);
    const timestamp = this.o.clock.now();
    const signature = signResponse({
      path: FLEET_POLL_PATH,
      requestNonce: authenticated.claimed.nonce,
      timestamp,
      status: 200,
      body: bytes,
      secret: authenticated.secret,
    });
    return { status: 200, body: bytes, timestamp, signature };
  }

  private decode(body: Buffer, gateway: string): FleetPoll {
    try {
      return decodePoll(body, this.o.config.maxPollBytes);
    } catch (err) {
      if (isFleetError(err, ATALAYA_FLEET_TOO_LARGE)) throw refuse('too_large', err.message, { gateway, cause: err });
      if (isFleetError(err, ATALAYA_FLEET_MALFORMED)) throw refuse('malformed', err.message, { gateway, cause: err });
      throw err;
    }
  }

  /** A part that fails is logged and skipped: the others, and the health already stored, still count. */
  private async reports(gateway: string, poll: FleetPoll, now: number): Promise<void> {
    for (const [name, part] of this.parts) {
      if (!Object.hasOwn(poll.parts, name)) continue;
      try {
        await part.onReport(gateway, poll.parts[name], now);
      } catch (err) {
        this.logger.error({ err, gateway, part: name }, 'fleet part failed on a report');
      }
    }
  }

  private async answers(gateway: string, now: number): Promise<Record<string, unknown>> {
    const parts: Record<string, unknown> = {};
    for (const [name, part] of this.parts) {
      try {
        const answer = await part.answer(gateway, now);
        if (answer !== undefined) parts[name] = answer;
      } catch (err) {
        this.logger.error({ err, gateway, part: name }, 'fleet part failed to answer');
      }
    }
    return parts;
  }
}
