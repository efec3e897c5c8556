/**
 * A vendor's HTTP export (issue 17 §6): the flowmeter's readings every periodMs as
 * `GET /readings.csv` (header `id,equipo,fecha,caudal,totalizador,nivel`, local time
 * `YYYY-MM-DD HH:mm:ss` in timeZone, as Chilean vendor portals export) or `GET /readings.json`
 * (`{ "data": [{ "id", "equipo", "ts" (ISO 8601 UTC), "caudal", "totalizador", "nivel" }] }`),
 * rows newer than `?since=<ISO>` only when given, behind `Authorization: Bearer <token>`. Every
 * badRowEvery-th CSV row is broken (a cell missing) to exercise the reader's bad-row path.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../protocols/clock.ts';
import { csvLine } from '../../protocols/csv.ts';
import { SimHttpServer } from './http-server.ts';
import { FlowSeries, firstAtOrAfter, stableId } from './series.ts';

export interface HttpEndpointOptions {
  readonly token: string;
  readonly clock: Clock;
  readonly periodMs: number;
  readonly t0?: number;
  readonly device?: string;
  readonly timeZone?: string;
  /** Break every n-th CSV row (0: never). */
  readonly badRowEvery?: number;
  /** Most rows per answer (default 5000): the newest are left for the next pull. */
  readonly maxRows?: number;
  readonly host?: string;
  readonly port?: number;
}

export class HttpEndpoint {
  readonly series: FlowSeries;
  private readonly server: SimHttpServer;
  private readonly local: Intl.DateTimeFormat;
  fault: 'none' | '5xx' = 'none';

  constructor(private readonly o: HttpEndpointOptions) {
    this.series = new FlowSeries(o.clock, o.periodMs, o.t0 ?? o.clock.now() - 3_600_000);
    this.server = new SimHttpServer((req, url) => this.answer(req, url), o.host, o.port);
    // sv-SE formats as YYYY-MM-DD HH:mm:ss.
    this.local = new Intl.DateTimeFormat('sv-SE', {
      timeZone: o.timeZone ?? 'America/Santiago',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
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

  private answer(req: IncomingMessage, url: URL): { status: number; type: string; body: string } {
    if (this.fault === '5xx') return { status: 502, type: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' };
    if (req.headers.authorization !== `Bearer ${this.o.token}`) return { status: 401, type: 'application/json', body: '{"error":"unauthorized"}' };
    const since = url.searchParams.has('since') ? Date.parse(url.searchParams.get('since') as string) : Number.NEGATIVE_INFINITY;
    const points = this.series.all();
    const rows = points.slice(firstAtOrAfter(points, Number.isNaN(since) ? 0 : since)).slice(0, this.o.maxRows ?? 5000);
    const device = this.o.device ?? 'pozo-http';
    if (url.pathname === '/readings.json') {
      const data = rows.map((p) => ({
        id: stableId(device, p.index),
        equipo: device,
        ts: new Date(p.at).toISOString(),
        caudal: p.reading.flow,
        totalizador: p.reading.totalizer,
        nivel: p.reading.level,
      }));
      return { status: 200, type: 'application/json', body: JSON.stringify({ data }) };
    }
    if (url.pathname === '/readings.csv') {
      let body = csvLine(['id', 'equipo', 'fecha', 'caudal', 'totalizador', 'nivel']);
      for (const p of rows) {
        const cells = [stableId(device, p.index), device, this.local.format(p.at), p.reading.flow, p.reading.totalizer, p.reading.level];
        const bad = (this.o.badRowEvery ?? 0) > 0 && (p.index + 1) % (this.o.badRowEvery as number) === 0;
        body += csvLine(bad ? cells.slice(0, 5) : cells);
      }
      return { status: 200, type: 'text/csv; charset=utf-8', body };
    }
    return { status: 404, type: 'application/json', body: '{"error":"not found"}' };
  }
}
