/**
 * A process that runs the agent's updater alone (test/integration/update-sigkill.test.ts): it
 * applies one answer and exits 75 once the update has switched `current`, as the agent would;
 * the test SIGKILLs it at chosen moments. Prints `state <state>` lines as the update moves.
 * argv[2]: JSON { config, publicKeyPem, version, answer }.
 */
import pino from 'pino';
import { RESTART_EXIT_CODE } from '../../agent/update/restart.ts';
import { updateConfigSchema } from '../../agent/update/schema.ts';
import { Updater } from '../../agent/update/updater.ts';
import { systemClock } from '../../protocols/clock.ts';
import { releasePublicKey } from '../../protocols/release/index.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as { config: unknown; publicKeyPem: string; version: string; answer: unknown };
const updater = new Updater({
  config: updateConfigSchema.parse(o.config),
  publicKeys: [releasePublicKey(o.publicKeyPem)],
  version: o.version,
  baseUrl: undefined,
  healthy: () => true,
  restart: () => process.exit(RESTART_EXIT_CODE),
  clock: systemClock,
  logger: pino({ level: 'silent' }),
});
updater.start();
let last = '';
// Each state as soon as it is entered, for the test to time its kill on.
const watch = setInterval(() => {
  const { state } = updater.report();
  if (state !== last) process.stdout.write(`state ${(last = state)}\n`);
}, 1);
await updater.apply(o.answer);
await updater.whenSettled();
clearInterval(watch);
process.stdout.write(`${JSON.stringify(updater.report())}\n`);
process.exit(1);
