import type { Client, PublishPacket } from 'aedes';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AclRules } from '../../agent/broker/acl.ts';
import { RefusalCounters } from '../../agent/broker/counters.ts';
import { BROKER_REFUSED } from '../../agent/broker/errors.ts';
import { Gate } from '../../agent/broker/gate.ts';
import type { IngestOutcome } from '../../agent/broker/ingest.ts';

/**
 * The gate remembers per session what a topic gets (issue 18: ACL matching per PUBLISH): the
 * remembered answers must stay those of the session's own rules, for every topic, every time.
 */
function setup(): { gate: Gate; counters: RefusalCounters; ingested: string[] } {
  const counters = new RefusalCounters();
  const ingested: string[] = [];
  const gate = new Gate({
    topicPrefix: 'atalaya',
    gatewayId: 'gw-1',
    maxPayloadBytes: 1024,
    maxTopicLevels: 6,
    maxPublishesPerSecond: 1_000_000,
    ingest: {
      isIngestTopic: (topic) => topic.startsWith('atalaya/in/'),
      handle: (topic): Promise<IngestOutcome> => {
        ingested.push(topic);
        return Promise.resolve({ status: 'stored', records: 1 });
      },
    },
    counters,
    clock: { now: () => 0, monotonic: () => 0 },
    logger: pino({ level: 'silent' }),
  });
  return { gate, counters, ingested };
}

function connect(gate: Gate, id: string, username: string, rules: AclRules): Client {
  const client = { id, closed: false } as unknown as Client;
  expect(gate.accept(client, { ok: true, key: username, username, rules })).toBe(true);
  return client;
}

function publish(gate: Gate, client: Client, topic: string): Promise<string | undefined> {
  const packet = { cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, retain: false, dup: false, messageId: 1 } as PublishPacket;
  return new Promise((resolve) => gate.authorizePublish(client, packet, (err) => resolve(err ? String((err as { code?: string }).code) : undefined)));
}

describe('per-session publish decisions', () => {
  it('answers each session by its own rules on the same topics, every time', async () => {
    const { gate, counters } = setup();
    const a = connect(gate, 'a', 'dev-a', { publish: ['atalaya/in/%u/#', 'plant/+/a'], subscribe: [] });
    const b = connect(gate, 'b', 'dev-b', { publish: ['atalaya/in/%u/#'], subscribe: [] });
    for (let round = 0; round < 3; round++) {
      expect(await publish(gate, a, 'atalaya/in/dev-a/telemetry')).toBeUndefined();
      expect(await publish(gate, b, 'atalaya/in/dev-a/telemetry')).toBe(BROKER_REFUSED);
      expect(await publish(gate, a, 'plant/x/a')).toBeUndefined();
      expect(await publish(gate, b, 'plant/x/a')).toBe(BROKER_REFUSED);
      expect(await publish(gate, b, 'atalaya/in/dev-b/telemetry')).toBeUndefined();
      // Too deep for maxTopicLevels even though the ACL matches.
      expect(await publish(gate, a, 'atalaya/in/dev-a/1/2/3/4')).toBe(BROKER_REFUSED);
      // The gateway's own tree, whatever the ACL.
      expect(await publish(gate, a, 'atalaya/gw-1/x')).toBe(BROKER_REFUSED);
    }
    // Each refusal counted each time, not only the first.
    expect(counters.totals().acl).toBe(3 * 3);
    expect(counters.totals().topic_levels).toBe(3);
  });

  it('keeps deciding correctly past the topics a session remembers', async () => {
    const { gate, ingested } = setup();
    const a = connect(gate, 'a', 'dev-a', { publish: ['atalaya/in/%u/#', 'open/#'], subscribe: [] });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 100; i++) {
        expect(await publish(gate, a, `open/${i}`)).toBeUndefined();
        expect(await publish(gate, a, `closed/${i}`)).toBe(BROKER_REFUSED);
        expect(await publish(gate, a, `atalaya/in/dev-a/t${i}`)).toBeUndefined();
      }
    }
    // Only device input reaches ingest, each time it is published.
    expect(ingested.length).toBe(200);
    expect(ingested.every((t) => t.startsWith('atalaya/in/dev-a/'))).toBe(true);
  });
});
