/**
 * DGA MEE legacy SOAP client (reference: the legacy WSDL; protocols/dga/soap.ts builds the
 * arguments and reads the answers) on the `soap` package with the project's WSDL. The package's
 * client keeps SOAP headers between calls, so calls go one at a time.
 */

import type { Logger } from 'pino';
import type { Client } from 'soap';
import soap from 'soap';
import type { DgaCredentials, DgaOutcome, DgaQueryOutcome, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import {
  buildSoapArgs,
  buildSoapQueryArgs,
  classifyMessage,
  DGA_SOAP_NS,
  DGA_WSDL_PATH,
  excerpt,
  parseSoapAnswer,
  parseSoapQueryAnswer,
} from '../../protocols/dga/index.ts';
import type { DgaClient, DgaSendOutcome, RedactedRequest } from './client.ts';
import { REDACTED, transportReason } from './client.ts';

export interface SoapDgaClientOptions {
  /** The legacy SOAP service's URL (docs/dga.md#endpoints). */
  readonly endpoint: string;
  /** Per call, ms (axios `timeout` inside the soap package). */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface SoapFailure {
  readonly response?: { readonly status?: number };
  readonly root?: { readonly Envelope?: { readonly Body?: { readonly Fault?: { readonly faultcode?: unknown; readonly faultstring?: unknown } } } };
}

type Call<T> = (client: Client) => Promise<T>;

export class SoapDgaClient implements DgaClient {
  readonly iface = 'soap' as const;
  private client: Promise<Client> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lastStatus: number | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SoapDgaClientOptions) {
    this.log = options.logger.child({ component: 'dga-soap' });
  }

  describe(obra: string, kind: WorkKind, credentials: DgaCredentials, measurement: Measurement, sentAt: number): RedactedRequest {
    const args = buildSoapArgs({ kind, obra, credentials, measurement, sentAt });
    const body = { ...args.body, authDataUsuario: { ...args.body.authDataUsuario, password: REDACTED } };
    return { interface: 'soap', endpoint: this.options.endpoint, operation: 'authSendDataExtraccionOp', header: args.header, body };
  }

  send(obra: string, kind: WorkKind, credentials: DgaCredentials, measurement: Measurement, sentAt: number): Promise<DgaSendOutcome> {
    const args = buildSoapArgs({ kind, obra, credentials, measurement, sentAt });
    return this.serial(async (client) => {
      client.clearSoapHeaders();
      client.addSoapHeader(args.header, undefined, 'aut', DGA_SOAP_NS.authRequest);
      this.lastStatus = null;
      try {
        const [result] = (await client.authSendDataExtraccionOpAsync(args.body, { timeout: this.options.timeoutMs })) as [unknown];
        return { ...parseSoapAnswer(result, this.lastStatus), httpStatus: this.lastStatus };
      } catch (err) {
        this.log.debug({ obra, err: { code: (err as { code?: unknown }).code, status: (err as SoapFailure).response?.status } }, 'DGA SOAP call failed');
        const status = (err as SoapFailure).response?.status ?? null;
        return { ...failure(err, this.options.timeoutMs), httpStatus: status };
      } finally {
        client.clearSoapHeaders();
      }
    });
  }

  /** getDataExtraccionOp: the legacy service finds a receipt without being told the kind. */
  query(obra: string, _kind: WorkKind, receipt: string): Promise<DgaQueryOutcome> {
    const args = buildSoapQueryArgs(obra, receipt);
    return this.serial(async (client) => {
      client.clearSoapHeaders();
      try {
        const [result] = (await client.getDataExtraccionOpAsync(args, { timeout: this.options.timeoutMs })) as [unknown];
        return parseSoapQueryAnswer(result, this.lastStatus);
      } catch (err) {
        const f = failure(err, this.options.timeoutMs);
        return f.kind === 'rejected' ? f : { kind: 'invalid', reason: f.kind === 'invalid' ? f.reason : 'unexpected answer' };
      }
    });
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    this.client = undefined;
  }

  private serial<T>(call: Call<T>): Promise<T> {
    const next = this.chain.then(async () => call(await this.soapClient()));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private soapClient(): Promise<Client> {
    this.client ??= soap.createClientAsync(DGA_WSDL_PATH, { endpoint: this.options.endpoint }).then((client) => {
      client.on('response', (_body: unknown, response: { status?: number } | undefined) => {
        this.lastStatus = response?.status ?? null;
      });
      return client;
    });
    return this.client;
  }
}

/** A thrown soap call: a SOAP Fault is DGA refusing; an HTTP page or a network error is no answer. */
function failure(err: unknown, timeoutMs: number): DgaOutcome {
  const e = err as SoapFailure;
  const fault = e.root?.Envelope?.Body?.Fault;
  if (fault !== undefined) {
    const message = typeof fault.faultstring === 'string' ? fault.faultstring : '';
    return (
      classifyMessage(message) ?? {
        kind: 'rejected',
        status: e.response?.status ?? null,
        code: typeof fault.faultcode === 'string' ? fault.faultcode : 'Fault',
        message,
      }
    );
  }
  const status = e.response?.status;
  if (status !== undefined)
    return { kind: 'invalid', reason: `HTTP ${status}: not a SOAP answer (${excerpt(String((err as { body?: unknown }).body ?? ''), 80)})` };
  return { kind: 'invalid', reason: transportReason(err, timeoutMs) };
}
