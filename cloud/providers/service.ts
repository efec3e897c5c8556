/**
 * The relay's provider sources (issue 17): the TTS webhooks' receiver and the pulls' schedules,
 * one lifecycle. Built by cloud/main.ts from `sources:`; every source's secret is read at start
 * (a missing one stops the start: ATALAYA_SOURCE_SECRET_MISSING). A configured source that was not
 * provisioned (`atalaya relay source add`), or was with another kind, is logged and left idle:
 * the relay's gateways are not held hostage by one source's setup.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { readSecret } from '../../platform/secrets.ts';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { SourceProblemRow, SourceRow, SourcesStore } from '../store/sources-types.ts';
import { httpFetcher, tagoFetcher } from './adapters.ts';
import { defaultSecretEnv, type SourceConfig, type TtsSourceConfig } from './config.ts';
import { SOURCE_SECRET_MISSING, sourceError } from './errors.ts';
import type { SourceMetrics } from './metrics.ts';
import { SourcePuller } from './pull.ts';
import { parseUplink } from './tts.ts';

export interface ProviderServiceOptions {
  readonly sources: readonly SourceConfig[];
  readonly store: SourcesStore;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SourceMetrics;
  /** false: pulls only when pullNow() is called (tests); default: on each source's interval. */
  readonly schedule?: boolean;
}

/** What the webhook answers: an HTTP status and a JSON body (never a secret). */
export interface WebhookReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A source as GET /v1/sources shows it. */
export interface SourceStatus extends Partial<SourceRow> {
  readonly id: string;
  readonly kind: SourceConfig['kind'];
  readonly configured: boolean;
  readonly provisioned: boolean;
  readonly problems: readonly Omit<SourceProblemRow, 'source'>[];
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class ProviderService {
  private readonly log: Logger;
  private readonly webhooks = new Map<string, { cfg: TtsSourceConfig; secret: Buffer }>();
  private readonly pullers = new Map<string, SourcePuller>();

  constructor(private readonly o: ProviderServiceOptions) {
    this.log = o.logger.child({ component: 'sources' });
  }

  async start(): Promise<void> {
    const secrets = new Map<string, string | undefined>();
    for (const s of this.o.sources) {
      const envName = s.secretEnv ?? defaultSecretEnv(s.id);
      const secret = readSecret(envName, s.secretFile, this.o.env);
      if (secret?.looselyPermitted) this.log.warn({ source: s.id, file: secret.source }, 'source secret file is readable by group or others: chmod 600 it');
      const needed = s.kind !== 'http' || s.authHeader !== undefined;
      if (needed && secret === undefined)
        throw sourceError(SOURCE_SECRET_MISSING, `source ${s.id}: no secret (set ${envName} or secretFile)`, { details: { source: s.id, env: envName } });
      secrets.set(s.id, secret?.text.trim());
    }
    const provisioned = new Map((await this.o.store.listSources()).map((r) => [r.id, r]));
    for (const s of this.o.sources) {
      const row = provisioned.get(s.id);
      if (row === undefined || row.kind !== s.kind) {
        this.log.error(
          { source: s.id, kind: s.kind, provisionedKind: row?.kind },
          `source not provisioned as ${s.kind}: atalaya relay source add ${s.id} --kind ${s.kind}`,
        );
        continue;
      }
      const secret = secrets.get(s.id);
      if (s.kind === 'tts') {
        this.webhooks.set(s.id, { cfg: s, secret: digest(secret as string) });
        continue;
      }
      const fetchPage = s.kind === 'tago' ? tagoFetcher(s, secret as string) : httpFetcher(s, secret);
      const puller = new SourcePuller({
        source: s.id,
        fetchPage,
        store: this.o.store,
        clock: this.o.clock,
        logger: this.o.logger,
        intervalMs: s.intervalMs,
        backoffMaxMs: s.backoffMaxMs,
        schedule: this.o.schedule,
        onPull: (outcome, err) => {
          if (outcome === undefined) this.o.metrics.outcome(s.id, isAtalayaError(err) && err.code.startsWith('ATALAYA_STORE_') ? 'unavailable' : 'failed');
          else {
            this.o.metrics.outcome(s.id, 'stored');
            this.o.metrics.records(s.id, outcome.records);
          }
        },
      });
      this.pullers.set(s.id, puller);
    }
    for (const p of this.pullers.values()) await p.start();
    this.log.info({ webhooks: this.webhooks.size, pulls: this.pullers.size }, 'sources started');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pullers.values()].map((p) => p.stop()));
    this.pullers.clear();
    this.webhooks.clear();
  }

  /** The pull source `id`, for tests and the demo (pullNow). */
  puller(id: string): SourcePuller | undefined {
    return this.pullers.get(id);
  }

  /**
   * One TTS webhook delivery. 404 for a source that is not a running TTS source; 401 without the
   * secret (compared in constant time; nothing read or stored); 400 for a body that is not JSON
   * (counted); 200 otherwise, with what was stored and the problems counted, so TTS does not retry
   * what retrying cannot fix. 503 when the store is down: TTS retries.
   */
  async webhook(id: string, secretHeader: string | undefined, body: string): Promise<WebhookReply> {
    const hook = this.webhooks.get(id);
    if (hook === undefined) return { status: 404, body: { error: 'not_found', message: `no TTS source ${id}` } };
    if (secretHeader === undefined || !timingSafeEqual(digest(secretHeader), hook.secret)) {
      this.o.metrics.outcome(id, 'unauthenticated');
      return { status: 401, body: { error: 'unauthenticated', message: `the ${hook.cfg.header} header is missing or wrong` } };
    }
    const now = this.o.clock.now();
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      const problems = [{ reason: 'malformed', detail: 'body is not JSON' }];
      this.o.metrics.outcome(id, 'malformed');
      this.o.metrics.problems(id, problems);
      await this.o.store.countProblems(id, problems, now);
      return { status: 400, body: { error: 'malformed', message: 'the body is not JSON' } };
    }
    const { messages, problems } = parseUplink(doc, hook.cfg);
    const result = await this.o.store.ingest({ source: id, messages, problems, now });
    this.o.metrics.outcome(id, result.duplicates > 0 ? 'duplicate' : 'stored');
    this.o.metrics.problems(id, problems);
    this.o.metrics.records(id, result.records);
    return { status: 200, body: { stored: result.records, duplicate: result.duplicates > 0, problems: problems.map((p) => p.reason) } };
  }

  /** Every configured or provisioned source with its status and problems. */
  async status(): Promise<SourceStatus[]> {
    const rows = new Map((await this.o.store.listSources()).map((r) => [r.id, r]));
    const problems = await this.o.store.problems();
    const ids = [...new Set([...this.o.sources.map((s) => s.id), ...rows.keys()])].sort();
    return ids.map((id) => {
      const row = rows.get(id);
      const cfg = this.o.sources.find((s) => s.id === id);
      return {
        ...row,
        id,
        kind: cfg?.kind ?? (row?.kind as SourceConfig['kind']),
        configured: cfg !== undefined,
        provisioned: row !== undefined && (cfg === undefined || cfg.kind === row.kind),
        problems: problems.filter((p) => p.source === id).map(({ source: _s, ...rest }) => rest),
      };
    });
  }
}
