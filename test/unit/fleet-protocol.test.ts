/** The fleet channel's pure parts: poll and answer codecs with their bounds, health flags, the health report's assembly. */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildHealthReport, type HealthSources } from '../../agent/fleet/health.ts';
import { BACKLOG_AGE_MS, healthFlags } from '../../cloud/fleet/flags.ts';
import { fleetRow } from '../../cloud/fleet/view.ts';
import { decodeAnswer, decodePoll, encodeAnswer, encodePoll } from '../../protocols/fleet/codec.ts';
import { ATALAYA_FLEET_MALFORMED, ATALAYA_FLEET_TOO_LARGE } from '../../protocols/fleet/errors.ts';
import { type HealthReport, healthReportSchema } from '../../protocols/fleet/health.ts';
import { SAMPLE_HEALTH as HEALTH } from '../helpers/health-report.ts';

const gz = (v: unknown): Buffer => zlib.gzipSync(Buffer.from(JSON.stringify(v)));

describe('fleet codec', () => {
  it('round-trips a poll and an answer', () => {
    const poll = { v: 1 as const, health: HEALTH, parts: { config: { applied: 'v3' } } };
    expect(decodePoll(encodePoll(poll), 65_536)).toEqual(poll);
    const answer = { v: 1 as const, now: 1_700_000_000_000, parts: { config: { desired: 'v4' } } };
    expect(decodeAnswer(encodeAnswer(answer))).toEqual(answer);
  });

  it('stops inflating at the limit (a gzip bomb never becomes a string)', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(20_000);
    expect(() => decodePoll(bomb, 65_536)).toThrow(expect.objectContaining({ code: ATALAYA_FLEET_TOO_LARGE }));
  });

  it.each([
    ['not gzip', Buffer.from('{"v":1,"parts":{}}')],
    ['not JSON', zlib.gzipSync(Buffer.from('{v:1'))],
    ['not UTF-8', zlib.gzipSync(Buffer.from([0x7b, 0xff, 0x7d]))],
    ['another version', gz({ v: 2, parts: {} })],
    ['no parts', gz({ v: 1 })],
    ['a bad part name', gz({ v: 1, parts: { 'Bad Name': 1 } })],
    ['too many parts', gz({ v: 1, parts: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, i])) })],
    ['an unknown key', gz({ v: 1, parts: {}, extra: true })],
    ['a health report missing a field', gz({ v: 1, parts: {}, health: { ...HEALTH, bootId: undefined } })],
  ])('refuses a poll with %s', (_what, body) => {
    expect(() => decodePoll(body, 65_536)).toThrow(expect.objectContaining({ code: ATALAYA_FLEET_MALFORMED }));
  });

  it('keeps a newer agent’s extra health fields out instead of refusing the poll', () => {
    const poll = decodePoll(gz({ v: 1, parts: {}, health: { ...HEALTH, futureField: 1 } }), 65_536);
    expect(poll.health).toEqual(HEALTH);
  });
});

describe('fleet health flags', () => {
  const at = 1_700_000_000_000;
  it('flags nothing on a healthy report', () => {
    expect(healthFlags(HEALTH, at)).toEqual([]);
  });

  it('flags each problem a person should look at', () => {
    const sick: HealthReport = {
      ...HEALTH,
      clock: { synced: false, offsetMs: 0 },
      buffer: { ...HEALTH.buffer, oldestTs: at - BACKLOG_AGE_MS - 1, writable: false },
      devices: [
        { id: 'a', state: 'ok', ok: 1 },
        { id: 'b', state: 'backoff', ok: 0.2 },
      ],
      disk: { freeBytes: 100 * 1024 * 1024, totalBytes: 30_000_000_000 },
      cpuTempC: 81,
    };
    expect(healthFlags(sick, at)).toEqual(['clock_unsynced', 'buffer_backlog', 'buffer_unwritable', 'device_down', 'disk_low', 'hot_cpu']);
  });

  it('judges the backlog on the relay clock, with the offset sync measured', () => {
    // The gateway's clock is an hour behind: its oldest record, a minute old, looks an hour older.
    const behind: HealthReport = { ...HEALTH, clock: { synced: false, offsetMs: 3_600_000 }, buffer: { ...HEALTH.buffer, oldestTs: at - 3_660_000 } };
    expect(healthFlags(behind, at)).not.toContain('buffer_backlog');
  });

  it('is offline past offlineAfterMs and never-polled gateways are offline', () => {
    const polled = { gateway: 'gw', lastPollAt: at, polls: 1, healthAt: at, health: HEALTH };
    expect(fleetRow('gw', polled, at + 1000, 1000).online).toBe(true);
    expect(fleetRow('gw', polled, at + 1001, 1000).online).toBe(false);
    expect(fleetRow('gw', undefined, at, 1000)).toMatchObject({ online: false, lastSeenAt: null, version: null, flags: [] });
  });
});

describe('agent health report', () => {
  it('is assembled from the agent’s parts, valid and small', async () => {
    const sources: HealthSources = {
      version: '1.2.3',
      bootId: HEALTH.bootId,
      uptimeS: () => 42.9,
      clockSynced: () => true,
      clockOffsetMs: () => 0,
      buffer: () => ({ count: 3, bytes: 4096, oldestTs: null, evicted: { ordinary: 1, dga: 0, alarm: 0 }, health: { state: 'writable' } }),
      devices: () => [
        { id: 'gas-1', health: { state: 'ok', polls: 3, goodPolls: 2 } },
        { id: 'flow-1', health: { state: 'unknown', polls: 0, goodPolls: 0 } },
      ],
      brokerClients: () => null,
      system: async () => ({ cpuTempC: null, rssBytes: 1000, memAvailableBytes: 2000, disk: null }),
      configVersion: () => null,
    };
    const report = await buildHealthReport(sources);
    expect(healthReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      uptimeS: 42,
      buffer: { depth: 3, evicted: { ordinary: 1, dga: 0, alarm: 0 }, writable: true },
      devices: [
        { id: 'gas-1', state: 'ok', ok: 0.667 },
        { id: 'flow-1', state: 'unknown', ok: null },
      ],
      brokerClients: null,
      cpuTempC: null,
      disk: null,
    });
    expect(encodePoll({ v: 1, health: report, parts: {} }).length).toBeLessThan(1024);
  });
});
