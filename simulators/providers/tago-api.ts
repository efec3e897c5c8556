/**
 * A Tago.io-like device data API (issue 17 §6): `GET /data` with a `Device-Token` header, the
 * query parameters of Tago's device API that our pull uses (`variables` (repeatable, also
 * `variables[]` and `variable`), `qty` (default 15, at most 10 000), `skip`, `start_date` and
 * `end_date` (ISO 8601, inclusive), `ordination` ascending|descending (default descending)), and
 * Tago's answer `{ status: true, result: [{ id, device, variable, value, unit, time, group,
 * created_at }] }`; `{ status: false, message }` with 401 for a bad token. Fault modes: every
 * request answered 503, or slow. The data is a flowmeter's flow, totalizer and level every periodMs.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../protocols/clock.ts';
import { SimHttpServer } from './http-server.ts';
import { FlowSeries, firstAtOrAfter, stableId } from './series.ts';

export type TagoFault = 'none' | '5xx' | 'slow';

export interface TagoApiOptions {
  /** Accepted device tokens, each one device. */
  readonly tokens: readonly string[];
  readonly clock: Clock;
  /** One reading per variable every periodMs from t0 (default: now − 1 h). */
  readonly periodMs: number;
  readonly t0?: number;
  readonly host?: string;
  readonly port?: number;
}

const VARIABLES = [
  ['caudal', 'L/s', 'flow'],
  ['totalizador', 'm3', 'totalizer'],
  ['nivel', 'm', 'level'],
] as const;

const MAX_QTY = 10_000;
const DEFAULT_QTY = 15;

export class TagoApi {
  readonly series: FlowSeries;
  private readonly server: SimHttpServer;
  fault: TagoFault = 'none';
  /** Added to every answer, ms: a provider far away (and a pull long enough to be interrupted). */
  latencyMs = 0;
  /** Requests answered, by status. */
  readonly requests = new Map<number, number>();

  constructor(private readonly o: TagoApiOptions) {
    this.series = new FlowSeries(o.clock, o.periodMs, o.t0 ?? o.clock.now() - 3_600_000);
    this.server = new SimHttpServer((req, url) => this.answer(req, url), o.host, o.port);
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /** Every record held now, as /data would list them ascending: for tests counting what must arrive. */
  recordCount(variables: readonly string[] = VARIABLES.map((v) => v[0])): number {
    return this.series.all().length * VARIABLES.filter((v) => variables.includes(v[0])).length;
  }

  private count(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  private async answer(req: IncomingMessage, url: URL): Promise<{ status: number; type: string; body: string }> {
    const json = (status: number, body: unknown) => {
      this.count(status);
      return { status, type: 'application/json', body: JSON.stringify(body) };
    };
    const delay = this.latencyMs + (this.fault === 'slow' ? 2000 : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.fault === '5xx') return json(503, { status: false, message: 'Service Unavailable' });
    if (url.pathname !== '/data' || req.method !== 'GET') return json(404, { status: false, message: 'Not found' });
    const token = req.headers['device-token'];
    if (typeof token !== 'string' || !this.o.tokens.includes(token)) return json(401, { status: false, message: 'Authorization denied' });
    const q = url.searchParams;
    const wanted = [...q.getAll('variables'), ...q.getAll('variables[]'), ...q.getAll('variable')];
    const variables = VARIABLES.filter((v) => wanted.length === 0 || wanted.includes(v[0]));
    const qty = Math.min(MAX_QTY, Math.max(1, Number(q.get('qty') ?? DEFAULT_QTY) || DEFAULT_QTY));
    const skip = Math.max(0, Number(q.get('skip') ?? 0) || 0);
    const start = q.has('start_date') ? Date.parse(q.get('start_date') as string) : Number.NEGATIVE_INFINITY;
    const end = q.has('end_date') ? Date.parse(q.get('end_date') as string) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(start) || Number.isNaN(end)) return json(400, { status: false, message: 'Invalid date' });
    const descending = q.get('ordination') !== 'ascending';
    const points = this.series.all();
    const from = firstAtOrAfter(points, start);
    const device = stableId('device', token);
    const result: unknown[] = [];
    // Records in time order, the variables of one time in a fixed order; skip counts records.
    const perPoint = variables.length;
    const inRange: number[] = [];
    for (let i = from; i < points.length && (points[i]?.at ?? 0) <= end; i++) inRange.push(i);
    if (descending) inRange.reverse();
    const firstRecord = skip;
    for (let k = Math.floor(firstRecord / perPoint); k < inRange.length && result.length < qty; k++) {
      const p = points[inRange[k] as number]!;
      for (let v = 0; v < perPoint && result.length < qty; v++) {
        if (k * perPoint + v < firstRecord) continue;
        const [name, unit, key] = variables[v]!;
        result.push({
          id: stableId(device, name, p.index),
          device,
          variable: name,
          value: p.reading[key],
          unit,
          time: new Date(p.at).toISOString(),
          group: stableId(device, 'group', p.index),
          created_at: new Date(p.at + 350).toISOString(),
        });
      }
    }
    return json(200, { status: true, result });
  }
}
