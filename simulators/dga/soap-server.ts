import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Server as SoapServer } from 'soap';
import soap from 'soap';
import type { Timers } from '../modbus/timers.ts';
import { dgaSimWsdlFailed } from './errors.ts';
import type { FaultDecision, FaultGate, OddReceiptForm } from './faults.ts';
import { oddReceiptText } from './faults.ts';
import { blockedPage, proxyErrorPage } from './html.ts';
import type { RequestLog, RequestLogInput } from './request-log.ts';
import type { DgaService, SubmitResult } from './service.ts';
import type { GetAnswer, SendAnswer } from './soap-answers.ts';
import { clientFault, getFound, getRefused, sendOk, sendRefused } from './soap-answers.ts';
import { readBody, serveWsdl, serviceTree } from './soap-http.ts';
import type { SoapParse } from './soap-parse.ts';
import { parseSoapRequest } from './soap-parse.ts';
import type { Failure, FailureStatus } from './types.ts';
import { SOAP_PATH } from './types.ts';

export interface SoapDeps {
  readonly service: DgaService;
  readonly faults: FaultGate;
  readonly log: RequestLog;
  readonly statuses: Readonly<Record<Failure, FailureStatus>>;
  readonly timers: Timers;
  readonly logger: Logger;
  /** The project WSDL; its XSDs beside it. */
  readonly wsdlPath: string;
}

const CALL_HEADER = 'x-atalaya-dga-sim-call';
const NEVER_MS = 2 ** 31 - 1;

interface Call {
  readonly op: 'send' | 'get';
  readonly parsed: SoapParse;
  result?: SubmitResult;
  found?: boolean;
  /** Answer a stored measurement with this odd receipt (fault oddReceipt). */
  readonly oddReceipt: OddReceiptForm | undefined;
}

function valueFailure(f: 'structure' | 'field' | 'header'): Failure {
  return f === 'structure' ? 'body' : f;
}

function unreachable(): never {
  throw new Error('unreachable');
}

/**
 * The legacy SOAP endpoint. The raw XML is checked first (names, namespaces, order: the soap
 * package's parsed objects lose order), then the soap package server runs the operation against
 * the project WSDL and writes the answer. It runs serverless (processRequest) so that the
 * check, the faults and the ambiguous timeout sit in front of it on our own http.Server.
 */
export class SoapEndpoint {
  private readonly deps: SoapDeps;
  private server: SoapServer | undefined;
  private wsdlXml = '';
  private readonly calls = new Map<string, Call>();

  constructor(deps: SoapDeps) {
    this.deps = deps;
  }

  async load(): Promise<void> {
    if (this.server !== undefined) return;
    const { wsdlPath } = this.deps;
    try {
      this.wsdlXml = await readFile(wsdlPath, 'utf8');
      const services = serviceTree(this.wsdlXml, {
        authSendDataExtraccionOp: (_args: unknown, _cb: unknown, _headers: unknown, req: IncomingMessage) => this.send(req),
        getDataExtraccionOp: (_args: unknown, _cb: unknown, _headers: unknown, req: IncomingMessage) => this.get(req),
      });
      this.server = await new Promise<SoapServer>((resolve, reject) => {
        const s = soap.listen(null, {
          path: SOAP_PATH,
          services,
          xml: this.wsdlXml,
          uri: path.resolve(wsdlPath),
          callback: (err: unknown) => (err ? reject(err) : resolve(s)),
        });
      });
    } catch (err) {
      throw dgaSimWsdlFailed(wsdlPath, err);
    }
  }

  /** node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => {
      this.deps.logger.error({ err }, 'SOAP request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method === 'GET') return serveWsdl(url, req.headers.host, this.wsdlXml, this.deps.wsdlPath, res);
    if (req.method !== 'POST' || url.pathname !== SOAP_PATH) return void res.writeHead(404).end();
    const xml = await readBody(req);
    const soapAction = typeof req.headers['soapaction'] === 'string' ? req.headers['soapaction'] : undefined;
    // SOAP 1.1 HTTP binding (§6.1.1): the request is text/xml.
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const parsed: SoapParse =
      xml === undefined
        ? { ok: false, failure: 'structure', message: 'body too large' }
        : mediaType !== 'text/xml'
          ? { ok: false, failure: 'structure', message: `Content-Type must be text/xml, got '${mediaType}'` }
          : parseSoapRequest(xml, soapAction);
    const op = parsed.op ?? 'send';
    const d = this.deps.faults.decide(parsed.obra, op === 'send');
    const base: RequestLogInput = {
      transport: 'soap',
      method: op === 'send' ? 'authSendDataExtraccionOp' : 'getDataExtraccionOp',
      path: SOAP_PATH,
      obra: parsed.obra,
      outcome: 'refused',
    };
    if (!(await this.deps.timers.wait(d.delayMs))) return void res.destroy();
    if (d.blocked !== undefined || d.proxyError !== undefined) return this.faultPage(d, base, res);
    if (!parsed.ok && parsed.failure === 'structure') {
      this.deps.log.add({ ...base, failure: 'structure', httpStatus: 500, message: parsed.message });
      return void res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(clientFault(parsed.message));
    }
    // Refusals of values (bad date, obra code) run through the operation too, so the soap
    // package writes every status answer from the WSDL.
    const id = randomUUID();
    const call: Call = { op, parsed, oddReceipt: d.oddReceipt };
    this.calls.set(id, call);
    try {
      const answer = await this.server!.processRequest(xml!, {
        url: SOAP_PATH,
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: soapAction ?? '', [CALL_HEADER]: id },
      });
      const stored = call.result?.ok === true ? call.result.measurement : undefined;
      if (stored !== undefined && d.holdAfterStoreMs !== undefined) {
        this.deps.log.add({
          ...base,
          kind: stored.kind,
          outcome: 'stored-unanswered',
          receipt: stored.receipt,
          fechaMedicion: stored.fechaMedicion,
          horaMedicion: stored.horaMedicion,
        });
        if (!(await this.deps.timers.wait(Math.min(d.holdAfterStoreMs, NEVER_MS)))) return void res.destroy();
      } else {
        this.logCall(base, call, answer.statusCode);
      }
      res.writeHead(answer.statusCode, { 'content-type': 'text/xml; charset=utf-8' }).end(answer.body);
    } finally {
      this.calls.delete(id);
    }
  }

  private send(req: IncomingMessage): SendAnswer {
    const call = this.call(req, 'send');
    const p = call.parsed;
    const r: SubmitResult = p.ok
      ? p.op === 'send'
        ? this.deps.service.submit(p.submission)
        : unreachable()
      : { ok: false, failure: valueFailure(p.failure), message: p.message };
    call.result = r;
    if (!r.ok) return sendRefused(this.deps.statuses[r.failure].soapCode, r.message);
    // Success, stored, but a receipt a client cannot read as one (issue 14): Code 0 still means accepted.
    return sendOk(call.oddReceipt === undefined ? r.measurement.receipt : oddReceiptText(r.measurement.receipt, call.oddReceipt));
  }

  private get(req: IncomingMessage): GetAnswer {
    const call = this.call(req, 'get');
    const p = call.parsed;
    if (!p.ok || p.op !== 'get') return getRefused(this.deps.statuses.query.soapCode, p.ok ? 'getDataExtraccionRequest esperado' : p.message);
    const m = this.deps.service.lookup(p.obra, p.receipt);
    call.found = m !== undefined;
    return m !== undefined
      ? getFound(m)
      : getRefused(this.deps.statuses.notFound.soapCode, `No existe medición con comprobante ${p.receipt} para la obra ${p.obra}`);
  }

  /** The checked request behind a soap package call, matched by our private header. */
  private call(req: IncomingMessage, op: 'send' | 'get'): Call {
    const call = this.calls.get(String(req.headers[CALL_HEADER]));
    if (call === undefined || call.op !== op) throw new Error(`SOAP ${op} operation without a checked request`);
    return call;
  }

  private logCall(base: RequestLogInput, call: Call, httpStatus: number): void {
    const p = call.parsed;
    if (call.op === 'get') {
      const receipt = p.ok && p.op === 'get' ? p.receipt : undefined;
      const s = this.deps.statuses.notFound;
      this.deps.log.add({
        ...base,
        receipt,
        outcome: call.found === true ? 'found' : 'not-found',
        httpStatus,
        status: call.found === true ? '0' : s.soapCode,
        ...(call.found === true ? {} : { failure: 'notFound' as const }),
      });
      return;
    }
    const r = call.result;
    const at = p.ok && p.op === 'send' ? { kind: p.submission.kind, fechaMedicion: p.submission.fechaMedicion, horaMedicion: p.submission.horaMedicion } : {};
    if (r === undefined) this.deps.log.add({ ...base, ...at, httpStatus, message: 'the operation did not run' });
    else if (r.ok)
      this.deps.log.add({
        ...base,
        ...at,
        outcome: 'accepted',
        httpStatus,
        status: '0',
        receipt: r.measurement.receipt,
        ...(call.oddReceipt === undefined ? {} : { message: `odd receipt answer (${call.oddReceipt})` }),
      });
    else
      this.deps.log.add({
        ...base,
        ...at,
        outcome: r.failure === 'duplicate' ? 'duplicate' : 'refused',
        failure: r.failure,
        httpStatus,
        status: this.deps.statuses[r.failure].soapCode,
        message: r.message,
        receipt: r.original?.receipt,
      });
  }

  private faultPage(d: FaultDecision, base: RequestLogInput, res: ServerResponse): void {
    const blocked = d.blocked !== undefined;
    const http = d.blocked ?? d.proxyError ?? 502;
    const entry = this.deps.log.add({ ...base, outcome: blocked ? 'blocked' : 'proxy-error', httpStatus: http });
    res.writeHead(http, { 'content-type': 'text/html' }).end(blocked ? blockedPage(http, String(entry.seq).padStart(19, '0')) : proxyErrorPage(http));
  }
}
