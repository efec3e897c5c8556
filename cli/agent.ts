import { parseArgs } from 'node:util';
import { Agent } from '../agent/main.ts';
import { profileTable } from '../agent/config/profiles.ts';
import { configJsonSchema, loadConfigFile } from '../agent/config/load.ts';
import { ConfigError } from '../agent/config/errors.ts';
import { Poller } from '../agent/modbus/poller.ts';
import { readBootId } from '../agent/system/boot-id.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { passwdCommand } from '../agent/broker/passwords.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';
import { recordTable } from './table.ts';

const HELP = `atalaya agent [--config FILE] [--check | --once | --schema]
atalaya agent passwd <user>     hash an MQTT password for the config (reads it from stdin)

Runs the edge agent: polls every configured Modbus device into the store-and-forward buffer.

Options:
  -c, --config FILE   YAML config (default: ATALAYA_CONFIG or /etc/atalaya/agent.yaml)
      --check         validate the config, print every problem with its path, and exit
      --once          poll every device once, print the decoded values as a table, and exit
                      (exit code 0 when every value is good, 3 otherwise); writes nothing
      --schema        print the config's JSON Schema (for editors) and exit
  -h, --help          this help
`;

export async function agentCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'passwd') return passwdCommand(argv.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      once: { type: 'boolean' },
      schema: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.schema === true) {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  }
  const file = values.config ?? process.env['ATALAYA_CONFIG'] ?? '/etc/atalaya/agent.yaml';
  let config;
  try {
    config = loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (values.check === true) {
    process.stdout.write(`${file}: OK (${config.devices.length} devices, ${config.serial.length} serial lines)\n`);
    return 0;
  }
  if (values.once === true) {
    const logger = rootLogger('warn', 2);
    const poller = new Poller({ config, profiles: profileTable(config), sink: async () => undefined, clock: systemClock, bootId: readBootId(), logger });
    const results = await poller.pollOnce();
    await poller.stop();
    process.stdout.write(recordTable(results));
    const allGood = [...results.values()].every((rs) => rs.every((r) => r.quality === 'good'));
    return allGood ? 0 : 3;
  }
  const logger = rootLogger(config.log.level);
  const agent = new Agent(config, { logger });
  try {
    await agent.start();
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    logger.fatal({ code: err.code, details: err.details }, err.message);
    process.stderr.write(`atalaya agent: ${err.message}\n`);
    return 1;
  }
  logger.info({ devices: config.devices.length, buffer: config.buffer.path }, 'agent started');
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await agent.stop();
  logger.info('stopped');
  return 0;
}
