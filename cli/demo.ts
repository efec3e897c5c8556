import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cron from 'node-cron';
import type { Logger } from 'pino';
import { BROKER_LISTEN } from '../agent/broker/errors.ts';
import { STATUS_LISTEN } from '../agent/status/errors.ts';
import { LISTEN_FAILED } from '../cloud/errors.ts';
import { Lifecycle } from '../platform/lifecycle.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { type Stop, startBench } from './demo-bench.ts';
import { DemoScenario } from './demo-scenario.ts';
import { banner, relaySummary, summary } from './demo-summary.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';

const HELP = `atalaya demo [options]

The whole bench on one machine: simulated gas detectors and flowmeters on Modbus TCP and (when
socat is installed) on an RTU line over a pseudo-terminal, polled by an agent into its buffer; a
GASLYT-style detectors publishing to the agent's MQTT broker (one in its own JSON, read through a
mapping); the agent's status page. The agent
syncs through a link that can be cut to a relay (SQLite, dashboard) that reports the well's flow
to a DGA simulator, sends its alerts to a local SMTP catcher and webhook receiver (printed as they
arrive), and anchors what it receives on a local Ethereum node (anvil). A scenario plays
a gas leak, flow steps and a network outage; live values are printed every few seconds. Ctrl-C
stops everything cleanly.

Options:
  --data DIR              where the agent's buffer, the relay's database and the chain live
                          (default ./data/demo; a second run continues where the first stopped)
  --duration SECONDS      stop by itself after this long (default: run until Ctrl-C)
  --mqtt-port PORT        the agent's MQTT broker on 127.0.0.1 (default 1883; 0 = any free port)
  --relay-port PORT       the relay's API and dashboard on 127.0.0.1 (default 8080; 0 = any free port)
  --status-port PORT      the agent's status page on 127.0.0.1 (default 8081; 0 = any free port)
  --scenario-speed N      play the scenario N times faster, 1..1000 (default 1: gas leak at 20 s,
                          flow steps at 50 s, outage from 80 s to 100 s, steady again at 200 s)
  --anchor-schedule CRON  when the relay anchors a batch (node-cron; default '* * * * *', every minute)
  --log-level LEVEL       agent, relay and simulator logs on stderr (default warn)
`;

/** A listener could not bind: the relay's, the status page's, the MQTT broker's. */
const LISTEN_CODES: ReadonlySet<string> = new Set([LISTEN_FAILED, STATUS_LISTEN, BROKER_LISTEN]);

/**
 * Runs every stop, last started first, each under its own try/catch and deadline (the platform
 * lifecycle: a part that hangs does not keep anvil or socat running); rejects with
 * ATALAYA_PLATFORM_STOP_FAILED once all ran when one failed.
 */
async function stopAll(stops: Stop[], logger: Logger): Promise<void> {
  const lifecycle = new Lifecycle({ logger });
  // Already started by startBench: only their stops are handed over.
  const started = stops.splice(0).map((s) => ({
    name: s.what,
    start: () => undefined,
    stop: async () => {
      await s.stop();
    },
  }));
  await lifecycle.start(...started);
  await lifecycle.stop();
}

interface DemoArgs {
  readonly dataDir: string;
  readonly duration: number | undefined;
  readonly ports: { readonly mqtt: number; readonly relay: number; readonly status: number };
  readonly speed: number;
  readonly anchorSchedule: string;
  readonly logLevel: string;
}

/** The options, or every problem with them at once. */
function demoArgs(values: Record<string, string | boolean | undefined>): DemoArgs | string[] {
  const problems: string[] = [];
  const str = (name: string): string => String(values[name] ?? '');
  const port = (name: string): number => {
    const v = str(name);
    if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) problems.push(`--${name} '${v}': expected a port 0..65535 (0 = any free port)`);
    return Number(v);
  };
  const ports = { mqtt: port('mqtt-port'), relay: port('relay-port'), status: port('status-port') };
  const speed = Number(str('scenario-speed'));
  if (!(speed >= 1 && speed <= 1000)) problems.push(`--scenario-speed '${str('scenario-speed')}': expected a number 1..1000`);
  const duration = values['duration'] === undefined ? undefined : Number(str('duration'));
  if (duration !== undefined && !(duration > 0)) problems.push(`--duration '${str('duration')}': expected seconds > 0`);
  const anchorSchedule = str('anchor-schedule');
  if (!cron.validate(anchorSchedule)) problems.push(`--anchor-schedule '${anchorSchedule}': expected a node-cron expression, e.g. '* * * * *'`);
  if (problems.length > 0) return problems;
  return { dataDir: path.resolve(str('data')), duration, ports, speed, anchorSchedule, logLevel: str('log-level') };
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: './data/demo' },
      duration: { type: 'string' },
      'mqtt-port': { type: 'string', default: '1883' },
      'relay-port': { type: 'string', default: '8080' },
      'status-port': { type: 'string', default: '8081' },
      'scenario-speed': { type: 'string', default: '1' },
      'anchor-schedule': { type: 'string', default: '* * * * *' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const args = demoArgs(values);
  if (Array.isArray(args)) {
    process.stderr.write(`atalaya demo: ${args.join('\n  ')}\n`);
    return 2;
  }
  // Listening from the start: a Ctrl-C while the bench comes up stops it once it is up, never halfway.
  const signal = untilSignal();
  const logger = rootLogger(args.logLevel, 2);
  mkdirSync(args.dataDir, { recursive: true });
  const out = process.stdout;
  const stops: Stop[] = [];
  try {
    const bench = await startBench({ dataDir: args.dataDir, ports: args.ports, speed: args.speed, anchorSchedule: args.anchorSchedule, logger, stops, out });
    out.write(banner(bench, args.anchorSchedule));
    const scenario = new DemoScenario(
      { sim: bench.tcpSim, gasUnit: bench.gasUnit, flowUnit: bench.flowUnit, link: bench.link, agent: bench.agent, out },
      args.speed,
    );
    stops.push({ what: 'scenario', stop: () => scenario.stop() });
    scenario.start();
    const relay = bench.relay.relay;
    let showing = true;
    const show = setInterval(() => {
      // One write per summary: the relay's line is read first, so the scenario's lines never split it.
      const write = (line: string): void => {
        if (showing) out.write(summary(bench.agent) + line);
      };
      relaySummary(relay).then(write, () => write(''));
    }, 5000);
    stops.push({
      what: 'summary',
      stop: () => {
        showing = false;
        clearInterval(show);
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = args.duration === undefined ? [] : [new Promise((resolve) => (timer = setTimeout(resolve, args.duration! * 1000)))];
    await Promise.race([signal, ...timeout]);
    clearTimeout(timer);
    out.write(summary(bench.agent) + (await relaySummary(relay).catch(() => '')));
  } catch (err) {
    await stopAll(stops, logger);
    // Coded: a port in use, a chain that would not start. Said plainly, no stack.
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(
      `atalaya demo: ${err.message} (${err.code})${LISTEN_CODES.has(err.code) ? '; choose another port (--relay-port, --status-port, --mqtt-port; 0 = any free port)' : ''}\n`,
    );
    return 1;
  }
  await stopAll(stops, logger);
  out.write('stopped cleanly\n');
  return 0;
}
