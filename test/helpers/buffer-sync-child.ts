/**
 * The agent's store-and-forward path alone, as a child process to SIGKILL: a RecordBuffer (small
 * maxBytes, so it evicts) fed by a fast producer, and the SyncClient sending it to a relay. Used by
 * the fault loops (test/integration/buffer-accounting-faults.test.ts, test/bench/fault-loop.ts):
 * the real agent's Modbus polling is far too slow to fill a buffer in seconds.
 *
 * Config: one JSON argument { bufferPath, url, gatewayId, maxBytes, rowsPerTick, tickMs }
 * (rowsPerTick 0: produce nothing, only drain). Secret in ATALAYA_GATEWAY_SECRET. Logs pino JSON to
 * stdout; "child ready" once the buffer and the sync run. SIGTERM stops it cleanly; SIGUSR2 runs a
 * garbage collection ("gc done").
 */
import { pino } from 'pino';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { loadGatewaySecret } from '../../agent/sync/secret.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

interface ChildConfig {
  readonly bufferPath: string;
  readonly url: string;
  readonly gatewayId: string;
  readonly maxBytes: number;
  readonly rowsPerTick: number;
  readonly tickMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const logger = pino({ level: 'info' });
const bootId = crypto.randomUUID();
const buffer = new RecordBuffer({ path: config.bufferPath, maxBytes: config.maxBytes, minFreeBytes: 0, commitIntervalMs: 20, clock: systemClock, logger });
const sync = new SyncClient({
  config: {
    url: config.url,
    batchRecords: 500,
    batchBytes: 1_048_576,
    timeoutMs: 1000,
    idleMs: 100,
    backoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
  },
  gatewayId: config.gatewayId,
  secret: loadGatewaySecret({}),
  buffer,
  clock: systemClock,
  bootId,
  clockSynced: () => true,
  logger,
});

let n = 0;
function produce(): void {
  const records: NewRecord[] = [];
  for (let i = 0; i < config.rowsPerTick; i++, n++) {
    records.push({
      kind: 'reading',
      device: `dev-${n % 4}`,
      channel: 'gas',
      value: n % 1000,
      unit: '%LEL',
      quality: 'good',
      exception: null,
      ts: systemClock.now(),
      mono: systemClock.monotonic(),
      bootId,
      priority: PRIORITY.ordinary,
      flags: 0,
    });
  }
  // A rejected append (buffer stopping) is reported by the buffer.
  buffer.append(records).catch(() => undefined);
}

buffer.start();
sync.start();
const timer = config.rowsPerTick > 0 ? setInterval(produce, config.tickMs) : undefined;
logger.info('child ready');

// Started with --expose-gc: SIGUSR2 collects garbage, so an RSS measurement is not of dead objects.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc !== undefined) {
  process.on('SIGUSR2', () => {
    gc();
    logger.info('gc done');
  });
}

process.once('SIGTERM', () => {
  if (timer !== undefined) clearInterval(timer);
  void sync
    .stop()
    .then(() => buffer.stop())
    .then(() => logger.info('child stopped'));
});
