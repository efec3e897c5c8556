import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isAtalayaError } from '../protocols/errors.ts';
import type { ModemFaults } from '../simulators/modem/at-engine.ts';
import { ModemSimulator } from '../simulators/modem/simulator.ts';
import { openPtyPair, type PtyPair } from '../simulators/pty.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';
import { intArg, parseHostPort, usage } from './sim-args.ts';

const HELP = `atalaya sim modem [options]

A cellular modem on a serial line that "sends" SMS in text mode (AT+CMGF=1, AT+CMGS): prints a
line per message, serves them at GET /messages and takes new faults at PUT /faults (JSON).

Options:
  --pty DIR              make a socat pseudo-terminal pair in DIR, answer on DIR/b; prints the
                         agent side (DIR/a) for paging.channels.modem.path
  --device PATH          answer on this serial device instead
  --baud N               (default 115200)
  --http [HOST:]PORT     serve GET /messages and PUT /faults (default 127.0.0.1:0 = any free port)
  --messages FILE        also append one JSON line per SMS to FILE
  --no-signal            AT+CSQ 99,99, AT+CREG? not registered; sending fails with +CMS ERROR: 331
  --cms-error N          every AT+CMGS ends in +CMS ERROR: N (500 unknown, 38 network out of order)
  --slow MS              delay every final answer by MS
  --drop                 answer nothing (a hung modem)
  --sim-pin PIN          the SIM waits for AT+CPIN="PIN"
  --log-level LEVEL      (default info)
  -h, --help             this help
`;

export async function simModemCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pty: { type: 'string' },
      device: { type: 'string' },
      baud: { type: 'string', default: '115200' },
      http: { type: 'string', default: '0' },
      messages: { type: 'string' },
      'no-signal': { type: 'boolean' },
      'cms-error': { type: 'string' },
      slow: { type: 'string' },
      drop: { type: 'boolean' },
      'sim-pin': { type: 'string' },
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
    if ((values.pty === undefined) === (values.device === undefined)) throw usage('give one of --pty DIR or --device PATH');
    const faults: ModemFaults = {
      ...(values['no-signal'] === true ? { noSignal: true } : {}),
      ...(values['cms-error'] !== undefined ? { cmsError: intArg('--cms-error', values['cms-error'], 0, 511) } : {}),
      ...(values.slow !== undefined ? { slowMs: intArg('--slow', values.slow, 0, 600_000) } : {}),
      ...(values.drop === true ? { drop: true } : {}),
      ...(values['sim-pin'] !== undefined ? { simPin: values['sim-pin'] } : {}),
    };
    let path = values.device;
    if (values.pty !== undefined) {
      mkdirSync(values.pty, { recursive: true });
      pty = await openPtyPair(values.pty);
      path = pty.b;
    }
    const sim = new ModemSimulator({
      path: path!,
      baudRate: intArg('--baud', values.baud ?? '115200', 50, 4_000_000),
      faults,
      http: parseHostPort(values.http ?? '0', '127.0.0.1'),
      ...(values.messages !== undefined ? { messagesFile: values.messages } : {}),
      onSms: (sms) => process.stdout.write(`sms         ${sms.number}  mr=${sms.mr}  ${JSON.stringify(sms.text)}\n`),
      logger: rootLogger(values['log-level'] ?? 'info', 2),
    });
    await sim.start();
    process.stdout.write(`modem       ${pty?.a ?? path}  messages http://127.0.0.1:${sim.httpPort}/messages\n`);
    await untilSignal();
    await sim.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim modem: ${err.message}\n`);
    return 2;
  } finally {
    await pty?.close();
  }
}
