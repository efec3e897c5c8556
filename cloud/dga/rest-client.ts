/**
 * DGA MEE REST client (Manual Técnico N°1/2025 §4–5) on undici. The payloads and the reading of
 * answers are protocols/dga/rest.ts; here is only the HTTP: one POST per measurement, GET for a
 * receipt, everything bounded by timeoutMs.
 */

import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { DgaCredentials, DgaQueryOutcome, EmptyValueGround, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import { buildRestQuery, buildRestRequest, parseRestAnswer, parseRestQueryAnswer } from '../../protocols/dga/index.ts';
import type { DgaClient, DgaSendOutcome, RedactedRequest } from './client.ts';
import { REDACTED, transportReason } from './client.ts';

export interface RestDgaClientOptions {
  /** DGA's REST base URL (docs/dga.md#endpoints), no trailing slash needed. */
  readonly baseUrl: string;
  /** Whole request (connect, send, answer), ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export class RestDgaClient implements DgaClient {
  readonly iface = 'rest' as const;
  private agent: Agent | undefined;
  private readonly base: string;
  private readonly log: Logger;

  constructor(private readonly options: RestDgaClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.log = options.logger.child({ component: 'dga-rest' });
  }

  describe(
    obra: string,
    kind: WorkKind,
    credentials: DgaCredentials,
    measurement: Measurement,
    sentAt: number,
    emptyGround?: EmptyValueGround,
  ): RedactedRequest {
    const r = buildRestRequest({ kind, obra, credentials, measurement, sentAt, ...(emptyGround === undefined ? {} : { emptyGround }) });
    return {
      interface: 'rest',
      method: 'POST',
      url: this.base + r.path,
      headers: r.headers,
      body: { ...r.body, autenticacion: { ...r.body.autenticacion, password: REDACTED } },
    };
  }

  async send(
    obra: string,
    kind: WorkKind,
    credentials: DgaCredentials,
    measurement: Measurement,
    sentAt: number,
    emptyGround?: EmptyValueGround,
  ): Promise<DgaSendOutcome> {
    const r = buildRestRequest({ kind, obra, credentials, measurement, sentAt, ...(emptyGround === undefined ? {} : { emptyGround }) });
    try {
      const res = await request(this.base + r.path, {
        method: 'POST',
        headers: r.headers,
        body: JSON.stringify(r.body),
        dispatcher: this.dispatcher(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await res.body.text();
      return { ...parseRestAnswer(res.statusCode, header(res.headers['content-type']), text), httpStatus: res.statusCode };
    } catch (err) {
      this.log.debug({ obra, err: { code: (err as { code?: unknown }).code, name: (err as Error).name } }, 'DGA POST failed');
      return { kind: 'invalid', reason: transportReason(err, this.options.timeoutMs), httpStatus: null };
    }
  }

  async query(obra: string, kind: WorkKind, receipt: string): Promise<DgaQueryOutcome> {
    try {
      const res = await request(this.base + buildRestQuery(kind, obra, receipt), {
        method: 'GET',
        dispatcher: this.dispatcher(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await res.body.text();
      return parseRestQueryAnswer(res.statusCode, header(res.headers['content-type']), text);
    } catch (err) {
      return { kind: 'invalid', reason: transportReason(err, this.options.timeoutMs) };
    }
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.destroy();
  }

  /** Built on first use: a client that never sends opens nothing. */
  private dispatcher(): Agent {
    const t = this.options.timeoutMs;
    this.agent ??= new Agent({ connect: { timeout: t }, headersTimeout: t, bodyTimeout: t });
    return this.agent;
  }
}
