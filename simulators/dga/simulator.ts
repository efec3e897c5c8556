import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { seededRandom } from '../modbus/faults.ts';
import { Timers } from '../modbus/timers.ts';
import { dgaSimConfigInvalid, dgaSimListenFailed } from './errors.ts';
import type { DgaFaults } from './faults.ts';
import { checkFaults, FaultGate } from './faults.ts';
import type { DgaSimulatorOptions, ListenOptions } from './options.ts';
import { checkOptions, PROJECT_WSDL, resolveStatuses } from './options.ts';
import type { RequestLogEntry } from './request-log.ts';
import { RequestLog } from './request-log.ts';
import { buildRestApp } from './rest-server.ts';
import { DgaService } from './service.ts';
import { SoapEndpoint } from './soap-server.ts';
import type { Random } from './store.ts';
import { MeasurementStore } from './store.ts';
import type { StoredMeasurement } from './types.ts';
import { REST_BASE_PATH, SOAP_PATH } from './types.ts';

/**
 * A stand-in for DGA's MEE service (REST and legacy SOAP) that a client can be pointed at: it
 * validates strictly, stores what it accepts, answers duplicates with the original receipt and
 * injects the faults a real link shows (docs/dga.md#the-dga-double). Ports stay the same across `down` and up.
 */
export class DgaSimulator {
  private readonly options: DgaSimulatorOptions;
  private readonly log: Logger;
  private readonly random: Random;
  private readonly store: MeasurementStore;
  private readonly service: DgaService;
  private readonly gate: FaultGate;
  private readonly requestLog: RequestLog;
  private readonly timers = new Timers();
  private soapEndpoint: SoapEndpoint | undefined;
  private rest: FastifyInstance | undefined;
  private soap: http.Server | undefined;
  private restBound: number | undefined;
  private soapBound: number | undefined;
  private started = false;

  constructor(options: DgaSimulatorOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'sim-dga' });
    this.random = options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : Math.random);
    this.store = new MeasurementStore(this.random);
    this.service = new DgaService({ registry: options.registry, store: this.store, clock: options.clock });
    this.gate = new FaultGate(options.faults ?? {}, this.random, options.clock);
    this.requestLog = new RequestLog(options.clock, (e) => {
      const { seq, transport, method, path, obra, outcome, failure, httpStatus, status, receipt, fechaMedicion, horaMedicion, message } = e;
      this.log.info(
        { seq, transport, method, path, obra, outcome, failure, httpStatus, status, receipt, fechaMedicion, horaMedicion, reason: message },
        'DGA request',
      );
    });
  }

  /** REST port (kept while `down`), undefined before start(). */
  get restPort(): number | undefined {
    return this.restBound;
  }

  get soapPort(): number | undefined {
    return this.soapBound;
  }

  /** Base URL a client uses for REST: this server's origin followed by REST_BASE_PATH. */
  get restUrl(): string | undefined {
    return this.restBound === undefined ? undefined : `http://${urlHost(this.options.rest!.host)}:${this.restBound}${REST_BASE_PATH}`;
  }

  /** SOAP endpoint URL; `?wsdl` serves the WSDL. */
  get soapUrl(): string | undefined {
    return this.soapBound === undefined ? undefined : `http://${urlHost(this.options.soap!.host)}:${this.soapBound}${SOAP_PATH}`;
  }

  async start(): Promise<void> {
    if (this.started) return;
    const problems = checkOptions(this.options);
    if (problems.length > 0) throw dgaSimConfigInvalid(problems);
    if (this.options.soap !== undefined) {
      const endpoint = new SoapEndpoint({ ...this.deps('sim-dga-soap'), wsdlPath: this.options.soap.wsdlPath ?? PROJECT_WSDL });
      await endpoint.load();
      this.soapEndpoint = endpoint;
    }
    this.started = true;
    this.timers.reset();
    try {
      await this.up();
      if (this.gate.current.down === true) await this.down();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.log.info({ rest: this.restUrl, soap: this.soapUrl, obras: this.options.registry.length }, 'DGA simulator listening');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.down();
  }

  /**
   * Replace the faults at run time (checked like the options; throws ATALAYA_DGA_SIM_CONFIG).
   * `down: true` closes the listeners and cuts open connections; `down: false` listens again on
   * the same ports.
   */
  async setFaults(faults: DgaFaults): Promise<void> {
    const problems = checkFaults(faults, 'faults');
    if (problems.length > 0) throw dgaSimConfigInvalid(problems);
    this.gate.set(faults);
    if (!this.started) return;
    if (faults.down === true) await this.down();
    else if (this.rest === undefined && this.soap === undefined) {
      this.timers.reset();
      await this.up();
    }
  }

  get faults(): DgaFaults {
    return this.gate.current;
  }

  /** What DGA holds for `obra`, in the order it was stored. */
  measurements(obra: string): StoredMeasurement[] {
    return this.service.measurements(obra);
  }

  /** Every request so far with its outcome (no passwords). */
  requests(): RequestLogEntry[] {
    return this.requestLog.list();
  }

  private deps(component: string): {
    service: DgaService;
    faults: FaultGate;
    log: RequestLog;
    statuses: ReturnType<typeof resolveStatuses>;
    timers: Timers;
    logger: Logger;
  } {
    return {
      service: this.service,
      faults: this.gate,
      log: this.requestLog,
      statuses: resolveStatuses(this.options.statuses),
      timers: this.timers,
      logger: this.options.logger.child({ component }),
    };
  }

  private async up(): Promise<void> {
    const { rest, soap } = this.options;
    if (rest !== undefined) {
      const app = buildRestApp(this.deps('sim-dga-rest'));
      const port = this.restBound ?? rest.port;
      try {
        await app.listen({ host: rest.host, port });
      } catch (err) {
        await app.close();
        throw dgaSimListenFailed(rest.host, port, err);
      }
      this.rest = app;
      this.restBound = boundPort(app.server);
    }
    if (soap !== undefined && this.soapEndpoint !== undefined) {
      const server = http.createServer(this.soapEndpoint.handle);
      await listen(server, soap, this.soapBound ?? soap.port);
      this.soap = server;
      this.soapBound = boundPort(server);
    }
  }

  /** Close both listeners and every open connection, held ones included. */
  private async down(): Promise<void> {
    this.timers.cancelAll();
    const rest = this.rest;
    const soap = this.soap;
    this.rest = undefined;
    this.soap = undefined;
    await rest?.close();
    if (soap !== undefined) {
      const closed = new Promise<void>((resolve) => soap.close(() => resolve()));
      soap.closeAllConnections();
      await closed;
    }
  }
}

function listen(server: http.Server, l: ListenOptions, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(dgaSimListenFailed(l.host, port, err)));
    server.listen(port, l.host, () => resolve());
  });
}

function boundPort(server: http.Server): number | undefined {
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : undefined;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
