/**
 * A relay's outbox sender alone, in a process of its own, for the SIGKILL tests: argv[2] is the
 * storage config as JSON, argv[3] the instance name, argv[4] the lease in ms. Prints "ready".
 */
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { Dispatcher } from '../../cloud/alerts/dispatcher.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { TestWebhookChannel } from './alerts-setup.ts';

const [storage = '{}', instance = 'child', lease = '1000'] = process.argv.slice(2);
const db = createRelayDatabase(JSON.parse(storage) as Parameters<typeof createRelayDatabase>[0], testLogger());
await db.start();
const config = alertsConfigSchema.parse({ leaseMs: Number(lease), backoffMs: { base: 100, max: 1000 } });
const dispatcher = new Dispatcher({
  config,
  store: db.alerts,
  channels: new Map([['webhook', new TestWebhookChannel()]]),
  clock: systemClock,
  logger: testLogger(),
  instance,
  pollMs: 20,
});
await dispatcher.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void dispatcher
    .stop()
    .then(() => db.stop())
    .then(() => process.exit(0));
});
