import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Timers } from '../modbus/timers.ts';
import type { FaultDecision, FaultGate } from './faults.ts';
import { oddReceiptText } from './faults.ts';
import { isoToDmy, stripNumber } from './fields.ts';
import { blockedPage, proxyErrorPage } from './html.ts';
import type { RequestLog, RequestLogInput } from './request-log.ts';
import { headerObra, parseRestPost } from './rest-parse.ts';
import type { DgaService } from './service.ts';
import type { Failure, FailureStatus, ObraKind, StoredMeasurement } from './types.ts';
import { KIND_REST, OBRA_KINDS, REST_BASE_PATH } from './types.ts';

export interface RestDeps {
  readonly service: DgaService;
  readonly faults: FaultGate;
  readonly log: RequestLog;
  readonly statuses: Readonly<Record<Failure, FailureStatus>>;
  readonly timers: Timers;
  readonly logger: Logger;
}

/** Longest timer Node accepts (~24.8 days): a "never" answer waits on it until stop(). */
const NEVER_MS = 2 ** 31 - 1;

/**
 * The REST API of Manual Técnico 1/2025: POST a measurement, GET it back by receipt, per kind.
 * A fresh instance per listen: Fastify cannot listen again after close (the `down` fault).
 */
export function buildRestApp(deps: RestDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // stop() and the `down` fault must not wait for requests held open by timeoutAfterStore.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  // The double judges the content type and the JSON itself, to answer in DGA's shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const http = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const status = http === 500 ? '99' : deps.statuses.body.status;
    deps.log.add({
      transport: 'rest',
      method: request.method,
      path: request.url.split('?')[0] ?? '',
      obra: headerObra(request.headers),
      outcome: 'refused',
      failure: 'body',
      httpStatus: http,
      status,
      message: err.message,
    });
    if (http === 500) request.log.error({ err }, 'request failed');
    void reply.code(http).send({ status, message: err.message });
  });
  for (const kind of OBRA_KINDS) {
    const url = REST_BASE_PATH + KIND_REST[kind].path;
    app.post(url, (request, reply) => post(deps, kind, url, request, reply));
    app.get(url, (request, reply) => get(deps, kind, url, request, reply));
  }
  return app;
}

async function post(deps: RestDeps, kind: ObraKind, path: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const claimed = headerObra(request.headers);
  const d = deps.faults.decide(claimed, true);
  const base: RequestLogInput = { transport: 'rest', method: 'POST', path, obra: claimed, kind, outcome: 'refused' };
  if (!(await deps.timers.wait(d.delayMs))) return abandon(reply);
  if (d.blocked !== undefined || d.proxyError !== undefined) return faultPage(deps, d, base, reply);
  const parsed = parseRestPost(kind, request.headers, typeof request.body === 'string' ? request.body : '');
  if (!parsed.ok) return refuse(deps, base, parsed.failure, parsed.message, reply);
  const s = parsed.submission;
  const at = { fechaMedicion: s.fechaMedicion, horaMedicion: s.horaMedicion };
  const result = deps.service.submit(s);
  if (!result.ok)
    return refuse(
      deps,
      { ...base, ...at, receipt: result.original?.receipt },
      result.failure,
      result.message,
      reply,
      result.failure === 'duplicate' ? 'duplicate' : 'refused',
    );
  const body = { status: '00', message: KIND_REST[kind].okMessage, data: { numeroComprobante: result.measurement.receipt } };
  if (d.holdAfterStoreMs !== undefined) {
    deps.log.add({ ...base, ...at, outcome: 'stored-unanswered', receipt: result.measurement.receipt });
    // The ambiguous case (Res. 2.170 §6.3): DGA has it, the client never hears so.
    reply.hijack();
    if (await deps.timers.wait(Math.min(d.holdAfterStoreMs, NEVER_MS))) {
      reply.raw.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      reply.raw.end(JSON.stringify(body));
    }
    return reply;
  }
  deps.log.add({
    ...base,
    ...at,
    outcome: 'accepted',
    httpStatus: 200,
    status: '00',
    receipt: result.measurement.receipt,
    ...(d.oddReceipt === undefined ? {} : { message: `odd receipt answer (${d.oddReceipt})` }),
  });
  if (d.oddReceipt === 'no-data') return reply.code(200).send({ status: body.status, message: body.message });
  if (d.oddReceipt !== undefined)
    return reply.code(200).send({ ...body, data: { numeroComprobante: oddReceiptText(result.measurement.receipt, d.oddReceipt) } });
  return reply.code(200).send(body);
}

async function get(deps: RestDeps, kind: ObraKind, path: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = request.query as Record<string, unknown>;
  const obra = typeof q['codigoObra'] === 'string' ? q['codigoObra'] : undefined;
  const receipt = typeof q['numeroComprobante'] === 'string' ? q['numeroComprobante'] : undefined;
  const d = deps.faults.decide(obra, false);
  const base: RequestLogInput = { transport: 'rest', method: 'GET', path, obra, kind, receipt, outcome: 'refused' };
  if (!(await deps.timers.wait(d.delayMs))) return abandon(reply);
  if (d.proxyError !== undefined) return faultPage(deps, d, base, reply);
  if (obra === undefined || receipt === undefined) return refuse(deps, base, 'query', 'faltan los parámetros codigoObra y numeroComprobante', reply);
  const m = deps.service.lookup(obra, receipt, kind);
  if (m === undefined) return refuse(deps, base, 'notFound', `No existe medición con comprobante ${receipt} para la obra ${obra}`, reply, 'not-found');
  deps.log.add({ ...base, outcome: 'found', httpStatus: 200, status: '00', fechaMedicion: m.fechaMedicion, horaMedicion: m.horaMedicion });
  return reply.code(200).send({ status: '00', message: '', data: receiptData(m) });
}

/**
 * GET data as the real service gives it (Manual Técnico 1/2025 GET examples): fechaMedicion
 * DD-MM-YYYY, numbers with trailing zeros stripped ("1.00" → "1"; docs/dga.md#answers).
 */
export function receiptData(m: StoredMeasurement): Record<string, string> {
  const fecha = isoToDmy(m.fechaMedicion);
  const n = (v: string | undefined): string => stripNumber(v ?? '');
  switch (m.kind) {
    case 'subterranea':
      return {
        fechaMedicion: fecha,
        horaMedicion: m.horaMedicion,
        caudal: n(m.caudal),
        totalizador: n(m.totalizador),
        nivelFreaticoDelPozo: n(m.nivelFreaticoDelPozo),
      };
    case 'superficial-flujometro':
      return { caudal: n(m.caudal), fechaMedicion: fecha, horaMedicion: m.horaMedicion, totalizador: n(m.totalizador) };
    case 'superficial':
      return { alturaLimnimetrica: n(m.alturaLimnimetrica), caudal: n(m.caudal), fechaMedicion: fecha, horaMedicion: m.horaMedicion };
  }
}

function refuse(
  deps: RestDeps,
  base: RequestLogInput,
  failure: Failure,
  message: string,
  reply: FastifyReply,
  outcome: RequestLogInput['outcome'] = 'refused',
): FastifyReply {
  const s = deps.statuses[failure];
  deps.log.add({ ...base, outcome, failure, httpStatus: s.http, status: s.status, message });
  return reply.code(s.http).send({ status: s.status, message });
}

function faultPage(deps: RestDeps, d: FaultDecision, base: RequestLogInput, reply: FastifyReply): FastifyReply {
  const blocked = d.blocked !== undefined;
  const http = d.blocked ?? d.proxyError ?? 502;
  const entry = deps.log.add({ ...base, outcome: blocked ? 'blocked' : 'proxy-error', httpStatus: http });
  const page = blocked ? blockedPage(http, String(entry.seq).padStart(19, '0')) : proxyErrorPage(http);
  return reply.code(http).type('text/html').send(page);
}

/** stop() cut a delay short: drop the connection rather than answer from a stopping server. */
function abandon(reply: FastifyReply): FastifyReply {
  reply.hijack();
  reply.raw.destroy();
  return reply;
}
