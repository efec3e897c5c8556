import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { ModbusSimulator } from '../simulators/modbus/simulator.ts';
import { openPtyPair, type PtyPair } from '../simulators/pty.ts';
import { rootLogger } from './logger.ts';
import { parseDeviceArg, parseFaultArgs, parseHostPort } from './sim-args.ts';
import { untilSignal } from './signals.ts';

const HELP = `atalaya sim [options]

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
  --log-level LEVEL      (default info)
  -h, --help             this help
`;

export async function simCommand(argv: string[]): Promise<number> {
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
    const sim = new ModbusSimulator({
      devices,
      ...(tcp !== undefined ? { tcp } : {}),
      ...(serialPath !== undefined
        ? { serial: { path: serialPath, baudRate: Number(values.baud), parity, dataBits: 8, stopBits: Number(values['stop-bits']) as 1 | 2, wireTime: values['wire-time'] === true } }
        : {}),
      clock: systemClock,
      logger,
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    });
    await sim.start();
    const units = devices.map((d) => `${d.unitId}=${d.kind}:${d.scenario}`).join(' ');
    if (tcp !== undefined) process.stdout.write(`modbus tcp  ${tcp.host}:${sim.tcpPort}  units ${units}\n`);
    if (serialPath !== undefined) process.stdout.write(`modbus rtu  ${serialPath} ${values.baud} baud${pty ? `  (agent side: ${pty.a})` : ''}  units ${units}\n`);
    await untilSignal();
    await sim.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim: ${err.message}\n`);
    return 2;
  } finally {
    await pty?.close();
  }
}
