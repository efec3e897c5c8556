import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from '../simulators/modbus/scenarios.ts';
import { ModbusSimulator } from '../simulators/modbus/simulator.ts';
import { GaslytDevice } from '../simulators/mqtt/gaslyt.ts';
import { openPtyPair, type PtyPair } from '../simulators/pty.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';
import { parseDeviceArg, parseFaultArgs, parseHostPort, usage } from './sim-args.ts';

const HELP = `atalaya sim [options]
atalaya sim dga [options]     the DGA service double (REST and SOAP): see 'atalaya sim dga --help'
atalaya sim notify [options]  the notification double (SMTP, webhook, SMS provider, Telegram): see 'atalaya sim notify --help'
atalaya sim modem [options]   a cellular modem for SMS on a serial line: see 'atalaya sim modem --help'
atalaya sim gaslyt-json [options]  GASLYT-style detectors publishing their own JSON over MQTT: see its --help
atalaya sim sparkplug [options]    a Sparkplug B edge node with gas detectors over MQTT: see its --help
atalaya sim providers [options]  Tago-like API, HTTP/CSV export, TTS webhook sender: see 'atalaya sim providers --help'

Simulated Modbus devices: gas detectors and well flowmeters, over Modbus TCP and/or RTU.

Options:
  --tcp [HOST:]PORT      serve Modbus TCP (default 127.0.0.1:5020; 0 = any free port)
  --no-tcp               do not serve TCP
  --serial PATH          serve Modbus RTU on this serial device
  --pty DIR              make a socat pseudo-terminal pair in DIR, serve RTU on DIR/b;
                         point the agent at DIR/a
  --baud N               RTU baud rate (default 9600)
  --parity none|even|odd (default none)
  --stop-bits 1|2        (default 1)
  --wire-time            delay RTU answers by the real wire time at the baud rate
  --device UNIT=KIND[:SCENARIO]   repeatable; kinds gas-detector, flowmeter; scenarios steady,
                         gas-leak, sensor-fault, flow-steps, level-changes
                         (default: 1=gas-detector:gas-leak 2=flowmeter:flow-steps)
  --fault UNIT=exception:CODE[:P] | UNIT=slow:MS[:P] | UNIT=drop:P | UNIT=bad-crc:P   repeatable
  --seed N               seed of the fault random source (reproducible runs)

  GASLYT-style detectors that publish over MQTT themselves (to the agent's broker):
  --mqtt URL             broker, e.g. mqtt://127.0.0.1:1883
  --gaslyt ID[:SCENARIO] repeatable; the device id is also its MQTT user name (default scenario gas-leak)
  --mqtt-password PW     the devices' password (or env ATALAYA_SIM_MQTT_PASSWORD)
  --mqtt-interval MS     telemetry period (default 1000)
  --mqtt-prefix PREFIX   the agent's mqtt.topicPrefix (default atalaya)
  --log-level LEVEL      (default info)
  -h, --help             this help
`;

export async function simCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'dga') return (await import('./sim-dga.ts')).simDgaCommand(argv.slice(1));
  if (argv[0] === 'notify') return (await import('./sim-notify.ts')).simNotifyCommand(argv.slice(1));
  if (argv[0] === 'modem') return (await import('./sim-modem.ts')).simModemCommand(argv.slice(1));
  if (argv[0] === 'gaslyt-json' || argv[0] === 'sparkplug') return (await import('./sim-mqtt.ts')).simMqttCommand(argv[0], argv.slice(1));
  if (argv[0] === 'providers') return (await import('./sim-providers.ts')).simProvidersCommand(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      tcp: { type: 'string' },
      'no-tcp': { type: 'boolean' },
      serial: { type: 'string' },
      pty: { type: 'string' },
      baud: { type: 'string', default: '9600' },
      parity: { type: 'string', default: 'none' },
      'stop-bits': { type: 'string', default: '1' },
      'wire-time': { type: 'boolean' },
      device: { type: 'string', multiple: true },
      fault: { type: 'string', multiple: true },
      seed: { type: 'string' },
      mqtt: { type: 'string' },
      gaslyt: { type: 'string', multiple: true },
      'mqtt-password': { type: 'string' },
      'mqtt-interval': { type: 'string', default: '1000' },
      'mqtt-prefix': { type: 'string', default: 'atalaya' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  let pty: PtyPair | undefined;
  try {
    const faults = parseFaultArgs(values.fault ?? []);
    const devices = (values.device ?? ['1=gas-detector:gas-leak', '2=flowmeter:flow-steps']).map(parseDeviceArg).map((d) => {
      const f = faults.get(d.unitId);
      return f === undefined ? d : { ...d, faults: f };
    });
    const tcp = values['no-tcp'] === true ? undefined : parseHostPort(values.tcp ?? '5020', '127.0.0.1');
    let serialPath = values.serial;
    if (values.pty !== undefined) {
      mkdirSync(values.pty, { recursive: true });
      pty = await openPtyPair(values.pty);
      serialPath = pty.b;
    }
    const parity = values.parity as 'none' | 'even' | 'odd';
    const logger = rootLogger(values['log-level'] ?? 'info', 2);
    if (tcp === undefined && serialPath === undefined && (values.gaslyt ?? []).length === 0)
      throw usage('nothing to simulate: give --tcp, --serial, --pty or --gaslyt');
    const sim =
      tcp === undefined && serialPath === undefined
        ? undefined
        : new ModbusSimulator({
            devices,
            ...(tcp !== undefined ? { tcp } : {}),
            ...(serialPath !== undefined
              ? {
                  serial: {
                    path: serialPath,
                    baudRate: Number(values.baud),
                    parity,
                    dataBits: 8,
                    stopBits: Number(values['stop-bits']) as 1 | 2,
                    wireTime: values['wire-time'] === true,
                  },
                }
              : {}),
            clock: systemClock,
            logger,
            ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
          });
    await sim?.start();
    const gaslyts = (values.gaslyt ?? []).map((arg) => {
      const [id, scenario] = arg.split(':');
      const password = values['mqtt-password'] ?? process.env['ATALAYA_SIM_MQTT_PASSWORD'];
      if (values.mqtt === undefined || password === undefined || id === undefined || id === '')
        throw usage('--gaslyt needs --mqtt URL and a password (--mqtt-password or ATALAYA_SIM_MQTT_PASSWORD)');
      if (scenario !== undefined && !isScenarioName(scenario)) throw usage(`--gaslyt ${arg}: unknown scenario; one of ${SCENARIO_NAMES.join(', ')}`);
      return new GaslytDevice({
        url: values.mqtt,
        deviceId: id,
        username: id,
        password,
        scenario: (scenario ?? 'gas-leak') as ScenarioName,
        intervalMs: Number(values['mqtt-interval']),
        topicPrefix: values['mqtt-prefix'] ?? 'atalaya',
        clock: systemClock,
        logger,
      });
    });
    for (const g of gaslyts) await g.start();
    if (gaslyts.length > 0) process.stdout.write(`mqtt        ${values.mqtt}  devices ${(values.gaslyt ?? []).join(' ')}\n`);
    const units = devices.map((d) => `${d.unitId}=${d.kind}:${d.scenario}`).join(' ');
    if (tcp !== undefined) process.stdout.write(`modbus tcp  ${tcp.host}:${sim?.tcpPort}  units ${units}\n`);
    if (serialPath !== undefined)
      process.stdout.write(`modbus rtu  ${serialPath} ${values.baud} baud${pty ? `  (agent side: ${pty.a})` : ''}  units ${units}\n`);
    await untilSignal();
    for (const g of gaslyts) await g.stop();
    await sim?.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim: ${err.message}\n`);
    return 2;
  } finally {
    await pty?.close();
  }
}
