import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';

const HASH = 'scrypt$16384$8$1$9a4MtVjNy0O0R4eHIksSlw==$k5fCPuiFvCm8rpK2aCMRCfad3HYWnn8a0UbaVU9Sg6s=';

function problems(input: unknown): { path: string; message: string }[] {
  const result = brokerConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('broker config schema', () => {
  it('fills the documented defaults', () => {
    expect(brokerConfigSchema.parse({})).toEqual({
      enabled: true,
      listeners: [{ type: 'tcp', host: '0.0.0.0', port: 1883 }],
      allowAnonymous: false,
      users: [],
      topicPrefix: 'atalaya',
      maxPayloadBytes: 16_384,
      maxTopicLevels: 8,
      queueLimit: 1000,
      drainTimeoutMs: 5000,
      concurrency: 100,
      maxClients: 200,
      connectTimeoutMs: 5000,
      maxPendingPerAddress: 16,
      maxPending: 128,
      maxConcurrentPasswordChecks: 2,
      authBackoffInitialMs: 100,
      authBackoffMaxMs: 30_000,
      maxPublishesPerSecond: 500,
      mappings: [],
      reportIntervalMs: 60_000,
    });
  });

  it('lets the flood guard go up to 1,000,000 publishes a second (one QoS 1 client passes 100,000/s), not beyond', () => {
    expect(brokerConfigSchema.parse({ maxPublishesPerSecond: 1_000_000 }).maxPublishesPerSecond).toBe(1_000_000);
    expect(problems({ maxPublishesPerSecond: 1_000_001 }).map((p) => p.path)).toEqual(['maxPublishesPerSecond']);
    expect(problems({ maxPublishesPerSecond: 0 }).map((p) => p.path)).toEqual(['maxPublishesPerSecond']);
  });

  it('wants authBackoffMaxMs at least authBackoffInitialMs', () => {
    expect(problems({ authBackoffInitialMs: 5000, authBackoffMaxMs: 1000 }).map((p) => p.path)).toEqual(['authBackoffMaxMs']);
  });

  it('refuses a plaintext password without repeating it', () => {
    const found = problems({ users: [{ username: 'dev1', password: 'hunter2-plain' }] });
    expect(found.map((p) => p.path)).toEqual(['users.0.password']);
    expect(JSON.stringify(found)).not.toContain('hunter2-plain');
    expect(problems({ users: [{ username: 'dev1', password: 'scrypt$1$x' }] }).map((p) => p.path)).toEqual(['users.0.password']);
    expect(problems({ users: [{ username: 'dev1', password: HASH, publish: ['atalaya/in/%u/#'] }] })).toEqual([]);
  });

  it('reports every problem with its path: tls without cert/key, bad patterns, duplicate users, unknown keys', () => {
    const found = problems({
      listeners: [
        { type: 'tls', port: 8883 },
        { type: 'tcp', port: 1883, cert: 'x.pem' },
      ],
      users: [
        { username: 'dev1', password: HASH, publish: ['atalaya/#/x'] },
        { username: 'dev1', password: HASH },
        { username: 'a+b', password: HASH },
      ],
      colour: 'blue',
    }).map((p) => p.path);
    expect(found).toEqual(
      expect.arrayContaining(['listeners.0.cert', 'listeners.0.key', 'listeners.1.cert', 'users.0.publish.0', 'users.1.username', 'users.2.username', '']),
    );
  });

  it('needs maxTopicLevels deep enough for the alarm topics under the prefix', () => {
    expect(problems({ topicPrefix: 'site/a/atalaya', maxTopicLevels: 7 }).map((p) => p.path)).toEqual(['maxTopicLevels']);
    expect(problems({ topicPrefix: 'site/a/atalaya', maxTopicLevels: 8 })).toEqual([]);
  });

  it('exports as JSON Schema with descriptions, for editors', () => {
    const schema = z.toJSONSchema(brokerConfigSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(schema.properties)) expect(prop.description, key).toBeTruthy();
  });
});
