import { parseArgs } from 'node:util';
import { passwdCommand } from '../agent/broker/passwd-command.ts';
import { ConfigError } from '../agent/config/errors.ts';
import { configJsonSchema, loadConfigFile } from '../agent/config/load.ts';
import { profileTable } from '../agent/config/profiles.ts';
import type { AgentConfig } from '../agent/config/schema.ts';
import { RemoteConfigFiles } from '../agent/fleet/config-files.ts';
import { ConfigSupervisor } from '../agent/fleet/config-supervisor.ts';
import { Poller } from '../agent/modbus/poller.ts';
import { hashStatusToken, newStatusToken } from '../agent/status/auth.ts';
import { supervisedAgent } from '../agent/supervised.ts';
import { readBootId } from '../agent/system/boot-id.ts';
import { notifySettings, ServiceNotifier } from '../agent/system/notify.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { rootLogger } from './logger.ts';
import { onReloadSignal, untilSignal } from './signals.ts';
import { recordTable } from './table.ts';

const HELP = `atalaya agent [--config FILE] [--check | --once | --schema]
atalaya agent passwd <user>     hash an MQTT password for the config (reads it from stdin)
atalaya agent token add         new access token for the status page and its APIs
atalaya agent config local      the local file wins again over a config sent by the relay (then: systemctl reload)
atalaya agent backup <file>     copy the buffer to <file>, safe while the agent runs
atalaya agent restore <file>    replace the buffer with a backup (agent stopped; see 'atalaya agent backup --help')

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
  if (argv[0] === 'token') return tokenCommand(argv.slice(1));
  if (argv[0] === 'config') return configCommand(argv.slice(1));
  if (argv[0] === 'backup' || argv[0] === 'restore') return (await import('./agent-backup.ts')).agentBackupCommand(argv);
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
  let config: AgentConfig;
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
  // systemd Type=notify + WatchdogSec (deploy/pi): a no-op when not started by systemd.
  const notifier = new ServiceNotifier({
    settings: notifySettings(process.env, process.pid),
    pid: process.pid,
    logger: logger.child({ component: 'systemd' }),
  });
  notifier.start();
  let requestRestart: (reason: string) => void = () => undefined;
  const restart = new Promise<string>((resolve) => {
    requestRestart = resolve;
  });
  // The agent runs on its effective config (the relay's when one is installed, else this file)
  // and is rebuilt in process on a new one (agent/fleet/config-supervisor.ts, issue 16).
  const supervisor = new ConfigSupervisor({
    localConfig: file,
    clock: systemClock,
    logger,
    probationMs: (c) => c.fleet.configProbationMs,
    makeAgent: (c, parts) =>
      supervisedAgent(c, parts, {
        logger,
        clock: systemClock,
        restart: requestRestart,
        configVersion: () => {
          const applied = supervisor.files.state().applied;
          return applied === null ? null : String(applied);
        },
      }),
  });
  try {
    await supervisor.start();
  } catch (err) {
    notifier.stop();
    if (!isAtalayaError(err)) throw err;
    logger.fatal({ code: err.code, details: err.details }, err.message);
    process.stderr.write(`atalaya agent: ${err.message}\n`);
    return 1;
  }
  const running = supervisor.config ?? config;
  logger.info({ devices: running.devices.length, buffer: running.buffer.path, config: supervisor.files.effective() }, 'agent started');
  const stopSignal = untilSignal();
  const stopReload = onReloadSignal(() => void supervisor.reload('SIGHUP'));
  await notifier.ready(`polling ${running.devices.length} devices`);
  const why = await Promise.race([stopSignal.then((signal) => ({ signal })), restart.then((reason) => ({ restart: reason }))]);
  stopReload();
  logger.info(why, 'stopping');
  await notifier.stopping();
  await supervisor.stop();
  notifier.stop();
  logger.info('stopped');
  return 'restart' in why ? RESTART_EXIT_CODE : 0;
}

/**
 * Exit code of a restart asked for remotely (agent.restart): the unit has Restart=always
 * (deploy/pi/atalaya-agent.service), so systemd starts the agent again after RestartSec.
 * EX_TEMPFAIL, so a journal reader sees it was not a crash.
 */
export const RESTART_EXIT_CODE = 75;

/** `atalaya agent config local`: the local file wins again (remote config files removed); the running agent picks it up on SIGHUP. */
function configCommand(args: string[]): number {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || positionals[0] !== 'local') {
    process.stderr.write(`atalaya agent config: expected 'local' [-c FILE]\n`);
    return 2;
  }
  const file = values.config ?? process.env['ATALAYA_CONFIG'] ?? '/etc/atalaya/agent.yaml';
  try {
    loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nthe remote config stays in use until the local file is valid\n`);
    return 2;
  }
  new RemoteConfigFiles(file).useLocal();
  process.stdout.write(
    `${file} is the agent's config again (remote config removed). Reload the running agent: systemctl reload atalaya-agent (or kill -HUP its pid)\n`,
  );
  return 0;
}

/** The token on stdout (shown once), what to put in the config on stderr: `atalaya agent token add > token.txt` keeps only the token. */
function tokenCommand(args: string[]): number {
  if (args.length !== 1 || args[0] !== 'add') {
    process.stderr.write(`atalaya agent token: expected 'add'\n`);
    return 2;
  }
  const token = newStatusToken();
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `status token above, shown once. Add its sha256 to the agent config (or to ATALAYA_STATUS_TOKENS):\nstatus:\n  tokens:\n    - ${hashStatusToken(token)}\n`,
  );
  return 0;
}
