import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { ANVIL_START_FAILED } from '../simulators/chain/errors.ts';
import { ModbusSimulator } from '../simulators/modbus/simulator.ts';
import { FaultProxy } from '../simulators/net/fault-proxy.ts';
import type { TtsSender } from '../simulators/providers/tts-sender.ts';
import { openPtyPair } from '../simulators/pty.ts';
import { type DemoAgent, startDemoAgent } from './demo-agent.ts';
import { type DemoChain, startDemoChain } from './demo-chain.ts';
import { DEMO_OBRA, type DemoDga, startDemoDga } from './demo-dga.ts';
import { type DemoNotify, startDemoNotify } from './demo-notify.ts';
import { demoLora, LORA_OBRA } from './demo-providers.ts';
import { type DemoRelay, demoRelayExists, resetDemoRelay, startDemoRelay } from './demo-relay.ts';

export interface Stop {
  readonly what: string;
  readonly stop: () => Promise<unknown> | unknown;
}

export interface BenchOptions {
  readonly dataDir: string;
  /** 0: any free port. */
  readonly ports: { readonly mqtt: number; readonly relay: number; readonly status: number };
  /** Speed of the Modbus/TCP simulator's physics (the scenario's time scale). */
  readonly speed: number;
  readonly anchorSchedule: string;
  readonly logger: Logger;
  /** Filled as parts start; the caller stops them in reverse order, also when a start fails. */
  readonly stops: Stop[];
  /** Notes while starting. */
  readonly out: { write(s: string): unknown };
}

/** Everything the banner prints and the scenario drives. */
export interface Bench extends DemoAgent {
  readonly tcpSim: ModbusSimulator;
  readonly gasUnit: number;
  readonly flowUnit: number;
  /** The uplink agent → relay, cut by the scenario. */
  readonly link: FaultProxy;
  readonly relay: DemoRelay;
  /** The local chain, or why it is not there (anvil not installed: anchoring is off). */
  readonly chain: DemoChain | string;
  readonly dga: DemoDga;
  /** The SMTP catcher and webhook receiver the relay's alerts reach. */
  readonly notify: DemoNotify;
  readonly pty: { readonly a: string; readonly b: string } | undefined;
  /** The TTS simulator posting the LoRaWAN flowmeter's uplinks to the relay's source `lora`. */
  readonly lora: { readonly sender: TtsSender; readonly periodMs: number };
}

/** The simulators' physics at `speed`× (monotonic time only; timestamps stay real). */
function scaledClock(speed: number): Clock {
  if (speed === 1) return systemClock;
  const t0 = systemClock.monotonic();
  return { now: systemClock.now, monotonic: () => t0 + Math.floor((systemClock.monotonic() - t0) * speed) };
}

async function startSimulators(o: BenchOptions): Promise<{ tcpSim: ModbusSimulator; pty: Bench['pty'] }> {
  const { logger, stops } = o;
  const tcpSim = new ModbusSimulator({
    devices: [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady' },
      { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: { sensorDepthM: 60, totalizerM3: 1500 } },
    ],
    tcp: { host: '127.0.0.1', port: 0 },
    clock: scaledClock(o.speed),
    logger: logger.child({ sim: 'tcp' }),
  });
  stops.push({ what: 'modbus tcp simulator', stop: () => tcpSim.stop() });
  await tcpSim.start();
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) return { tcpSim, pty: undefined };
  const ptyDir = mkdtempSync(path.join(tmpdir(), 'atalaya-demo-'));
  stops.push({ what: 'pty dir', stop: () => rmSync(ptyDir, { recursive: true, force: true }) });
  const pty = await openPtyPair(ptyDir);
  stops.push({ what: 'socat', stop: () => pty.close() });
  const rtuSim = new ModbusSimulator({
    devices: [
      { unitId: 1, kind: 'gas-detector', scenario: 'sensor-fault' },
      { unitId: 2, kind: 'flowmeter', scenario: 'level-changes', params: { sensorDepthM: 85 } },
    ],
    serial: { path: pty.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, wireTime: true },
    clock: systemClock,
    logger: logger.child({ sim: 'rtu' }),
  });
  stops.push({ what: 'modbus rtu simulator', stop: () => rtuSim.stop() });
  await rtuSim.start();
  return { tcpSim, pty };
}

/** anvil is a development dependency: without it the bench runs, without anchoring. */
async function startChain(dir: string, relayExisted: boolean): Promise<DemoChain | string> {
  try {
    return await startDemoChain(dir, relayExisted);
  } catch (err) {
    if (!isAtalayaError(err, ANVIL_START_FAILED)) throw err;
    return err.message;
  }
}

/**
 * Starts the bench, upstream first: simulators, DGA double, notify double, chain, relay, the cuttable link, the
 * agent, the MQTT detector.
 */
export async function startBench(o: BenchOptions): Promise<Bench> {
  const { dataDir, logger, stops } = o;
  const { tcpSim, pty } = await startSimulators(o);

  const dga = await startDemoDga(logger.child({ demo: 'dga' }));
  stops.push({ what: 'dga simulator', stop: () => dga.sim.stop() });

  const notify = await startDemoNotify(o.out);
  stops.push({ what: 'notify simulator', stop: () => notify.sim.stop() });

  const lora = demoLora(o.speed);
  const relayExisted = demoRelayExists(dataDir);
  const chain = await startChain(dataDir, relayExisted);
  if (typeof chain !== 'string') {
    stops.push({ what: 'anvil', stop: () => chain.stop() });
    // A new contract means a new anchoring history: the relay starts afresh with it.
    if (chain.fresh && relayExisted) {
      resetDemoRelay(dataDir);
      o.out.write('note: the chain of the previous run is gone: the relay database starts afresh\n');
    }
  }
  const relay = await startDemoRelay({
    dir: dataDir,
    gateway: 'demo-gw',
    port: o.ports.relay,
    logger: logger.child({ demo: 'relay' }),
    dga: { section: dga.section('demo-gw', 'flow-tcp'), credentials: { [DEMO_OBRA]: dga.credentials, [LORA_OBRA]: dga.credentials } },
    anchor:
      typeof chain === 'string'
        ? { enabled: false }
        : {
            enabled: true,
            rpcUrl: chain.anvil.url,
            chainId: chain.anvil.chainId,
            contract: chain.contract,
            schedule: o.anchorSchedule,
            confirmations: 2,
            pollMs: 2000,
          },
    ...(typeof chain === 'string' ? {} : { anchorKey: chain.key }),
    alerts: { section: (url) => notify.section(url, o.speed), env: notify.env },
    sources: { section: [lora.section], env: lora.env },
  });
  stops.push({ what: 'relay', stop: () => relay.relay.stop() });
  const sender = await lora.start(relay.url);
  stops.push({ what: 'tts simulator', stop: () => sender.stop() });

  const link = new FaultProxy({ target: relay.relay.address.port });
  stops.push({ what: 'link', stop: () => link.stop() });
  await link.start();

  const edge = await startDemoAgent({
    dataDir,
    tcpPort: tcpSim.tcpPort!,
    pty,
    relayUrl: `http://127.0.0.1:${link.port}`,
    secretFile: relay.secretFile,
    ports: o.ports,
    logger,
    stops,
  });
  return { ...edge, tcpSim, gasUnit: 1, flowUnit: 2, link, relay, chain, dga, notify, pty, lora: { sender, periodMs: lora.periodMs } };
}
