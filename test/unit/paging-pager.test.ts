/**
 * The pager's decisions on a real buffer file, with a clock the test moves and channels the test
 * scripts: back-off and giving up, permanent failures, the all-clear only after a paged raise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { Pager } from '../../agent/paging/pager.ts';
import { pagingConfigSchema } from '../../agent/paging/schema.ts';
import type { Channel, DeliveryOutcome, Notification } from '../../platform/notify/types.ts';
import { type AlarmState, type NewRecord, PRIORITY } from '../../protocols/records.ts';

const T0 = 1_750_000_000_000;
const logger = pino({ level: 'silent' });
let now = T0;
const clock = { now: () => now, monotonic: () => now - T0 + 1000 };

class ScriptedChannel implements Channel {
  readonly kind = 'modem' as const;
  readonly sent: Array<{ address: string; message: Notification; at: number }> = [];
  outcomes: DeliveryOutcome[] = [];
  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    this.sent.push({ address, message, at: now });
    return this.outcomes.shift() ?? { ok: true, providerId: String(this.sent.length) };
  }
  async close(): Promise<void> {}
}

function alarm(state: AlarmState, level: 'warning' | 'alarm' = 'alarm'): NewRecord {
  return {
    kind: 'alarm',
    device: 'gas-1',
    channel: 'ch4',
    value: 25,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: now,
    mono: 1000,
    bootId: 'boot-1',
    priority: PRIORITY.alarm,
    flags: 0,
    alarm: { rule: level === 'alarm' ? 'high2' : 'high1', level, state, threshold: 20 },
  };
}

let dir: string;
let buffer: RecordBuffer;
let channel: ScriptedChannel;
let pager: Pager;

function startPager(paging: Record<string, unknown> = {}): Pager {
  const config = pagingConfigSchema.parse({
    enabled: true,
    afterMs: 60_000,
    recipients: [{ name: 'guardia', phone: '+56911111111' }],
    channels: { modem: { path: '/dev/null' } },
    retry: { firstMs: 1000, maxMs: 4000, attempts: 4 },
    ...paging,
  });
  const p = new Pager({
    config,
    gatewayId: 'gw-1',
    bufferPath: path.join(dir, 'buffer.db'),
    buffer,
    channels: () => [channel],
    channelKinds: ['modem'],
    clock,
    bootId: 'boot-1',
    flags: () => 0,
    logger,
    tickMs: 3_600_000,
  });
  p.start();
  return p;
}

const FAIL: DeliveryOutcome = { ok: false, retryable: true, code: 'ATALAYA_PAGING_SEND_REFUSED', detail: '+CMS ERROR: 500' };

beforeEach(() => {
  now = T0;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-pager-'));
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), clock, logger, commitIntervalMs: 0 });
  buffer.start();
  channel = new ScriptedChannel();
});

afterEach(async () => {
  await pager?.stop();
  await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('pager', () => {
  it('waits afterMs, then pages; retries with a doubling back-off capped at maxMs; gives up after the attempts', async () => {
    pager = startPager();
    await buffer.append([alarm('raised')]);
    now += 59_999;
    await pager.runDue();
    expect(channel.sent).toEqual([]);
    channel.outcomes = [FAIL, FAIL, FAIL, FAIL];
    const start = (now += 1);
    for (let i = 0; i < 40; i++) {
      await pager.runDue();
      now += 250;
    }
    // Attempts at +0, +1 s, +3 s (2 s later), +7 s (4 s later, the cap).
    expect(channel.sent.map((s) => s.at - start)).toEqual([0, 1000, 3000, 7000].map((t) => Math.ceil(t / 250) * 250));
    expect(pager.status()).toMatchObject({
      failed: { modem: 4 },
      consecutiveFailures: 4,
      lastError: { code: 'ATALAYA_PAGING_SEND_REFUSED' },
      lastPage: null,
      pending: 0,
    });
    // No paged record when nobody was reached.
    expect(buffer.readAfter(0, 10, 'alarm').map((r) => r.alarm?.state)).toEqual(['raised']);
  });

  it('does not retry a permanent failure', async () => {
    pager = startPager();
    await buffer.append([alarm('raised')]);
    channel.outcomes = [{ ok: false, retryable: false, code: 'ATALAYA_PAGING_SEND_REFUSED', detail: '+CMS ERROR: 1' }];
    now += 60_000;
    for (let i = 0; i < 5; i++) {
      await pager.runDue();
      now += 10_000;
    }
    expect(channel.sent).toHaveLength(1);
  });

  it('sends the all-clear only for a raise it paged, and notes each page in a paged record', async () => {
    pager = startPager();
    const [raisedSeq] = await buffer.append([alarm('raised')]);
    now += 60_000;
    await pager.runDue();
    expect(channel.sent.map((s) => s.message.title)).toEqual(['ALARM gas-1 ch4 25 %LEL']);
    expect(channel.sent[0]!.message.key).toBe(`alarm:gw-1:gas-1:ch4:high2:raised:${raisedSeq}:0:modem`);
    const [clearedSeq] = await buffer.append([alarm('cleared')]);
    now += 60_000;
    await pager.runDue();
    expect(channel.sent.map((s) => s.message.title)).toEqual(['ALARM gas-1 ch4 25 %LEL', 'ALL CLEAR gas-1 ch4 25 %LEL']);
    const notes = buffer.readAfter(0, 10, 'alarm').filter((r) => r.alarm?.state === 'paged');
    expect(notes.map((r) => [r.value, r.unit])).toEqual([
      [raisedSeq, 'modem'],
      [clearedSeq, 'modem'],
    ]);
  });

  it('skips the all-clear of a raise the relay had in time, and never pages a warning', async () => {
    pager = startPager();
    const [raisedSeq] = await buffer.append([alarm('raised'), alarm('raised', 'warning')]);
    buffer.release([raisedSeq!]);
    now += 60_000;
    await pager.runDue();
    await buffer.append([alarm('cleared')]);
    now += 60_000;
    await pager.runDue();
    expect(channel.sent).toEqual([]);
  });

  it('at start, takes up only unacknowledged transitions that are still current, and pages again after a stop and start', async () => {
    // Committed before paging was on: a raise already cleared (history), then a raise still current.
    await buffer.append([alarm('raised')]);
    await buffer.append([alarm('cleared')]);
    const [current] = await buffer.append([alarm('raised')]);
    pager = startPager({ allClear: false });
    await pager.stop();
    pager = startPager({ allClear: false });
    now += 60_000;
    await pager.runDue();
    expect(channel.sent.map((s) => s.message.eventId)).toEqual([`alarm:gw-1:gas-1:ch4:high2:raised:${current}`]);
  });

  it('waits at least what Retry-After asked for', async () => {
    pager = startPager();
    await buffer.append([alarm('raised')]);
    channel.outcomes = [{ ...FAIL, retryAfterMs: 5000 }];
    now += 60_000;
    const start = now;
    for (let i = 0; i < 30; i++) {
      await pager.runDue();
      now += 250;
    }
    expect(channel.sent.map((s) => s.at - start)).toEqual([0, 5000]);
  });
});
