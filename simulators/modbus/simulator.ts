import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { parseRequest } from '../../protocols/modbus/frame.ts';
import type { DeviceKind, DeviceParams, SimDevice } from './device.ts';
import { DEVICE_KINDS } from './device.ts';
import type { SimConfigProblem } from './errors.ts';
import { simConfigInvalid } from './errors.ts';
import type { FaultOptions, Random } from './faults.ts';
import { checkFaults, FaultInjector, seededRandom } from './faults.ts';
import { FLOWMETER_PARAMS, FlowmeterModel } from './flowmeter.ts';
import { GAS_DETECTOR_PARAMS, GasDetectorModel } from './gas-detector.ts';
import type { Answer, UnitRouter } from './pdu-handler.ts';
import { answerRequest, handlePdu } from './pdu-handler.ts';
import type { RtuServerStats, SerialPortFactory, SerialSettings } from './rtu-server.ts';
import { ModbusRtuServer } from './rtu-server.ts';
import type { ScenarioName } from './scenarios.ts';
import { isScenarioName, SCENARIO_NAMES, scenarioKinds } from './scenarios.ts';
import type { TcpServerStats } from './tcp-server.ts';
import { ModbusTcpServer } from './tcp-server.ts';

export interface SimDeviceConfig {
  /** 1..247 on a serial line (Serial Line v1.02 §2.2), 0..255 on TCP; unique per simulator. */
  readonly unitId: number;
  readonly kind: DeviceKind;
  /** See the table in scenarios.ts. */
  readonly scenario: ScenarioName | string;
  readonly faults?: FaultOptions;
  /** Baselines and setpoints: see GAS_DETECTOR_PARAMS / FLOWMETER_PARAMS. */
  readonly params?: DeviceParams;
}

export interface ModbusSimulatorOptions {
  readonly devices: readonly SimDeviceConfig[];
  /** Serve Modbus/TCP; port 0 picks a free port (see tcpPort). */
  readonly tcp?: { readonly host: string; readonly port: number };
  /** Serve Modbus RTU on a serial device. `wireTime`: delay answers by the physical wire time. */
  readonly serial?: SerialSettings & { readonly wireTime?: boolean; readonly frameGapMs?: number };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Model update interval, ms, 10..60000 (default 100). Answers also advance their device first. */
  readonly tickMs?: number;
  /** Seed of the fault random source (per device: seed + unitId). Default: Math.random. */
  readonly seed?: number;
  /** Fault random source shared by all devices; overrides `seed`. */
  readonly random?: Random;
  readonly serialPortFactory?: SerialPortFactory;
}

interface Endpoint {
  readonly device: SimDevice;
  faults: FaultInjector;
  readonly random: Random;
  /** Requests routed to this unit, answered or not. */
  requests: number;
}

const PARAM_KEYS: Readonly<Record<DeviceKind, readonly string[]>> = {
  'gas-detector': Object.keys(GAS_DETECTOR_PARAMS),
  flowmeter: Object.keys(FLOWMETER_PARAMS),
};

/** Every problem in the options at once, each with its path. */
export function checkSimulatorOptions(options: ModbusSimulatorOptions): SimConfigProblem[] {
  const problems: SimConfigProblem[] = [];
  const seen = new Set<number>();
  const maxUnit = options.serial ? 247 : 255;
  options.devices.forEach((d, i) => {
    const at = `devices[${i}]`;
    if (!Number.isInteger(d.unitId) || d.unitId < (options.serial ? 1 : 0) || d.unitId > maxUnit) {
      problems.push({ path: `${at}.unitId`, problem: `expected an integer ${options.serial ? 1 : 0}..${maxUnit}` });
    } else if (seen.has(d.unitId)) {
      problems.push({ path: `${at}.unitId`, problem: `unit ${d.unitId} is already used` });
    }
    seen.add(d.unitId);
    if (!(DEVICE_KINDS as readonly string[]).includes(d.kind)) {
      problems.push({ path: `${at}.kind`, problem: `expected one of ${DEVICE_KINDS.join(', ')}` });
      return;
    }
    if (!isScenarioName(d.scenario)) {
      problems.push({ path: `${at}.scenario`, problem: `expected one of ${SCENARIO_NAMES.join(', ')}` });
    } else if (!scenarioKinds(d.scenario).includes(d.kind)) {
      problems.push({ path: `${at}.scenario`, problem: `${d.scenario} does not apply to a ${d.kind}` });
    }
    for (const [key, value] of Object.entries(d.params ?? {})) {
      if (!PARAM_KEYS[d.kind].includes(key)) {
        problems.push({ path: `${at}.params.${key}`, problem: `unknown parameter; expected one of ${PARAM_KEYS[d.kind].join(', ')}` });
      } else if (!Number.isFinite(value)) {
        problems.push({ path: `${at}.params.${key}`, problem: 'expected a finite number' });
      }
    }
    if (d.faults) problems.push(...checkFaults(d.faults, `${at}.faults`));
  });
  if (options.devices.length === 0) problems.push({ path: 'devices', problem: 'at least one device is needed' });
  if (!options.tcp && !options.serial) problems.push({ path: 'tcp', problem: 'configure tcp, serial or both' });
  const tick = options.tickMs;
  if (tick !== undefined && !(tick >= 10 && tick <= 60_000)) problems.push({ path: 'tickMs', problem: 'expected 10..60000 ms' });
  return problems;
}

function createDevice(config: SimDeviceConfig, scenario: ScenarioName): SimDevice {
  const options = { unitId: config.unitId, scenario, ...(config.params ? { params: config.params } : {}) };
  switch (config.kind) {
    case 'gas-detector':
      return new GasDetectorModel(options);
    case 'flowmeter':
      return new FlowmeterModel(options);
  }
}

/**
 * Simulated Modbus devices behind a TCP server, a serial line, or both (`atalaya sim`). The
 * options are checked in the constructor; every problem is reported at once (ATALAYA_SIM_CONFIG).
 */
export class ModbusSimulator implements UnitRouter {
  private readonly options: ModbusSimulatorOptions;
  private readonly log: Logger;
  private readonly endpoints = new Map<number, Endpoint>();
  private tcp: ModbusTcpServer | undefined;
  private rtu: ModbusRtuServer | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private running = false;

  constructor(options: ModbusSimulatorOptions) {
    const problems = checkSimulatorOptions(options);
    if (problems.length > 0) throw simConfigInvalid(problems);
    this.options = options;
    this.log = options.logger.child({ component: 'sim-modbus' });
    const shared = options.random ?? (options.seed === undefined ? Math.random : undefined);
    for (const d of options.devices) {
      const random = shared ?? seededRandom((options.seed ?? 0) + d.unitId);
      this.endpoints.set(d.unitId, {
        device: createDevice(d, d.scenario as ScenarioName),
        faults: new FaultInjector(d.faults, random),
        random,
        requests: 0,
      });
    }
  }

  get tcpPort(): number | undefined {
    return this.tcp?.port;
  }

  /** The model of unit `unitId`, to read the true current values (undefined for unknown units). */
  device(unitId: number): SimDevice | undefined {
    return this.endpoints.get(unitId)?.device;
  }

  /**
   * Change a unit's faults while running (a device that stops answering and comes back, a burst
   * of bad CRCs). `undefined` clears them.
   */
  setFaults(unitId: number, faults: FaultOptions | undefined): void {
    const endpoint = this.endpoints.get(unitId);
    if (endpoint === undefined) throw simConfigInvalid([{ path: 'unitId', problem: `no unit ${unitId}` }]);
    const problems = faults === undefined ? [] : checkFaults(faults, 'faults');
    if (problems.length > 0) throw simConfigInvalid(problems);
    endpoint.faults = new FaultInjector(faults, endpoint.random);
  }

  /**
   * Switch a unit to another scenario while running (a leak that starts now); it plays from its
   * time 0 at once. The model keeps its state: totalizer, written set points.
   */
  setScenario(unitId: number, scenario: ScenarioName): void {
    const endpoint = this.endpoints.get(unitId);
    if (endpoint === undefined) throw simConfigInvalid([{ path: 'unitId', problem: `no unit ${unitId}` }]);
    if (!isScenarioName(scenario)) throw simConfigInvalid([{ path: 'scenario', problem: `expected one of ${SCENARIO_NAMES.join(', ')}` }]);
    if (!scenarioKinds(scenario).includes(endpoint.device.kind)) {
      throw simConfigInvalid([{ path: 'scenario', problem: `${scenario} does not apply to a ${endpoint.device.kind}` }]);
    }
    endpoint.device.setScenario(scenario, this.options.clock.monotonic());
  }

  /** Requests routed to unit `unitId` since the simulator was built. */
  requestCount(unitId: number): number {
    return this.endpoints.get(unitId)?.requests ?? 0;
  }

  stats(): { tcp?: TcpServerStats; rtu?: RtuServerStats } {
    return { ...(this.tcp ? { tcp: { ...this.tcp.stats } } : {}), ...(this.rtu ? { rtu: { ...this.rtu.stats } } : {}) };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { tcp, serial, logger } = this.options;
    this.tick();
    try {
      if (tcp) {
        this.tcp = new ModbusTcpServer({ host: tcp.host, port: tcp.port, router: this, logger });
        await this.tcp.start();
      }
      if (serial) {
        this.rtu = new ModbusRtuServer({
          ...serial,
          wireTime: serial.wireTime ?? false,
          router: this,
          logger,
          ...(this.options.serialPortFactory ? { portFactory: this.options.serialPortFactory } : {}),
        });
        await this.rtu.start();
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.ticker = setInterval(() => this.tick(), this.options.tickMs ?? 100);
    this.log.info({ units: [...this.endpoints.keys()] }, 'simulator started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.ticker);
    this.ticker = undefined;
    // The servers are kept so that stats() still reports after stop; start() makes new ones.
    await this.rtu?.stop();
    await this.tcp?.stop();
  }

  route(unit: number, pdu: Uint8Array): Answer | undefined {
    const endpoint = this.endpoints.get(unit);
    if (!endpoint) return undefined;
    endpoint.requests++;
    return answerRequest(endpoint.device, endpoint.faults, pdu, this.options.clock.monotonic());
  }

  broadcast(pdu: Uint8Array): void {
    const parsed = parseRequest(pdu);
    // Serial Line v1.02 §2.1: only writes make sense as broadcasts.
    if (!parsed.ok || parsed.request.fc <= 4) return;
    const now = this.options.clock.monotonic();
    for (const { device } of this.endpoints.values()) {
      device.advance(now);
      handlePdu(device.image, pdu);
    }
  }

  private tick(): void {
    const now = this.options.clock.monotonic();
    for (const { device } of this.endpoints.values()) {
      try {
        device.advance(now);
      } catch (err) {
        this.log.error({ err, unit: device.unitId }, 'device model failed');
      }
    }
  }
}
