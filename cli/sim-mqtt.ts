import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from '../simulators/modbus/scenarios.ts';
import { GaslytJsonDevice } from '../simulators/mqtt/gaslyt-json.ts';
import { SparkplugNode } from '../simulators/mqtt/sparkplug-node.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';
import { usage } from './sim-args.ts';

const COMMON = `  --mqtt URL             broker, e.g. mqtt://127.0.0.1:1883 (required)
  --password PW          MQTT password (or env ATALAYA_SIM_MQTT_PASSWORD)
  --interval MS          report period (default 1000)
  --log-level LEVEL      (default info)
  -h, --help             this help
`;

const GASLYT_HELP = `atalaya sim gaslyt-json [options]

GASLYT-style gas detectors publishing their own JSON (not Atalaya's schema) on
gaslyt/<serial>/data, QoS 1: {"sn","ts" (local time, no offset),"CH4","H2S","CO","O2","bat","rssi"};
a faulted cell is null. The agent reads them through an mqtt.mappings entry
(deploy/examples/agent.yaml). The serial is also the MQTT user name.

Options:
  --serial SN[:SCENARIO] repeatable; scenarios ${SCENARIO_NAMES.join(', ')} (default gas-leak)
  --time-zone ZONE       the devices' clock (default America/Santiago)
${COMMON}`;

const SPARKPLUG_HELP = `atalaya sim sparkplug [options]

A Sparkplug B edge node with gas detectors as its devices: NDEATH Will with bdSeq, NBIRTH,
DBIRTH (names, aliases, datatypes), DDATA with aliases only every interval, rebirth on NCMD.
The node id is also the MQTT user name.

Options:
  --group ID             Sparkplug group id (default plant1)
  --node ID              edge node id (default edge-1)
  --device ID[:SCENARIO] repeatable; scenarios ${SCENARIO_NAMES.join(', ')} (default det-1:gas-leak)
${COMMON}`;

const COMMON_OPTIONS = {
  mqtt: { type: 'string' },
  password: { type: 'string' },
  interval: { type: 'string', default: '1000' },
  'log-level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `atalaya sim gaslyt-json` and `atalaya sim sparkplug`: MQTT devices that speak their own payloads. */
export async function simMqttCommand(kind: 'gaslyt-json' | 'sparkplug', argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      serial: { type: 'string', multiple: true },
      'time-zone': { type: 'string', default: 'America/Santiago' },
      group: { type: 'string', default: 'plant1' },
      node: { type: 'string', default: 'edge-1' },
      device: { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(kind === 'sparkplug' ? SPARKPLUG_HELP : GASLYT_HELP);
    return 0;
  }
  try {
    const url = values.mqtt;
    const password = values.password ?? process.env['ATALAYA_SIM_MQTT_PASSWORD'];
    if (url === undefined || password === undefined) throw usage('give --mqtt URL and a password (--password or ATALAYA_SIM_MQTT_PASSWORD)');
    const intervalMs = Number(values.interval);
    if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 3_600_000) throw usage(`--interval '${values.interval}': expected 100..3600000 ms`);
    const logger = rootLogger(values['log-level'] ?? 'info', 2);
    const common = { url, password, intervalMs, clock: systemClock, logger };
    const sims =
      kind === 'sparkplug'
        ? [
            new SparkplugNode({
              ...common,
              group: values.group ?? 'plant1',
              node: values.node ?? 'edge-1',
              devices: (values.device ?? ['det-1']).map((arg) => idAndScenario('--device', arg)).map(([id, scenario]) => ({ id, scenario })),
            }),
          ]
        : (values.serial ?? []).map((arg) => {
            const [serial, scenario] = idAndScenario('--serial', arg);
            return new GaslytJsonDevice({ ...common, serial, scenario, timeZone: values['time-zone'] ?? 'America/Santiago' });
          });
    if (sims.length === 0) throw usage('give at least one --serial SN');
    for (const s of sims) await s.start();
    process.stdout.write(
      kind === 'sparkplug'
        ? `sparkplug   ${url}  spBv1.0/${values.group}/+/${values.node}  devices ${(values.device ?? ['det-1']).join(' ')}\n`
        : `gaslyt-json ${url}  ${(values.serial ?? []).map((s) => `gaslyt/${s.split(':')[0]}/data`).join(' ')}\n`,
    );
    await untilSignal();
    for (const s of sims) await s.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim ${kind}: ${err.message}\n`);
    return 2;
  }
}

function idAndScenario(option: string, arg: string): [string, ScenarioName] {
  const [id, scenario] = arg.split(':');
  if (id === undefined || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id)) throw usage(`${option} '${arg}': expected ID[:SCENARIO]`);
  if (scenario !== undefined && !isScenarioName(scenario)) throw usage(`${option} '${arg}': unknown scenario; one of ${SCENARIO_NAMES.join(', ')}`);
  return [id, scenario ?? 'gas-leak'];
}
