import { z } from 'zod';
import { mappingsSchema } from './mapping-schema.ts';
import { compileTopicPattern } from './mapping-topic.ts';
import { isValidAclPattern, topicLevels, USERNAME_PATTERN } from './mqtt-acl.ts';
import { isPasswordHash } from './password-hash.ts';

export const LISTENER_TYPES = ['tcp', 'ws', 'tls', 'wss'] as const;
export type ListenerType = (typeof LISTENER_TYPES)[number];

const listenerSchema = z
  .strictObject({
    type: z.enum(LISTENER_TYPES).describe('tcp: MQTT over TCP; tls: MQTT over TLS; ws / wss: MQTT over WebSocket (plain / TLS), any path'),
    host: z.string().min(1).default('0.0.0.0').describe('Address to bind: 0.0.0.0 all IPv4 interfaces, :: all interfaces, 127.0.0.1 local only'),
    port: z.number().int().min(0).max(65535).describe('TCP port, 0..65535 (0 = any free port; usual: 1883 tcp, 8883 tls, 8080 ws, 8443 wss)'),
    cert: z.string().min(1).optional().describe('PEM certificate chain file (tls and wss only), read at start'),
    key: z.string().min(1).optional().describe('PEM private key file (tls and wss only), read at start'),
  })
  .superRefine((l, ctx) => {
    const secure = l.type === 'tls' || l.type === 'wss';
    for (const field of ['cert', 'key'] as const) {
      if (secure && l[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required for a ${l.type} listener: path to a PEM file` });
      if (!secure && l[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `only tls and wss listeners take a ${field}; use type tls or wss, or remove it` });
    }
  });

const patternList = z
  .array(z.string().refine(isValidAclPattern, { message: 'not a valid MQTT topic filter (MQTT 3.1.1 §4.7): `+` and `#` only as whole levels, `#` only last' }))
  .default([]);

export const userSchema = z.strictObject({
  username: z
    .string()
    .regex(USERNAME_PATTERN, 'letters, digits, _ . - (1–64, starting with a letter or digit): it replaces %u in topics')
    .describe('MQTT user name; for a device, its id in ingest topics'),
  password: z
    .string()
    .superRefine((value, ctx) => {
      // The value itself is never put in the message: it may be a real password.
      if (!value.startsWith('scrypt$'))
        ctx.addIssue({ code: 'custom', message: 'plaintext passwords are refused: put the scrypt hash printed by `atalaya agent passwd <user>`' });
      else if (!isPasswordHash(value))
        ctx.addIssue({ code: 'custom', message: 'malformed scrypt hash: expected scrypt$N$r$p$salt$hash as printed by `atalaya agent passwd <user>`' });
    })
    .describe('scrypt$N$r$p$saltBase64$hashBase64, made by `atalaya agent passwd <user>`'),
  publish: patternList.describe('Topic filters the user may publish to; %u = its user name (e.g. atalaya/in/%u/#)'),
  subscribe: patternList.describe('Topic filters the user may subscribe within; %u = its user name (e.g. atalaya/+/%u/#)'),
});

export const usersSchema = z
  .array(userSchema)
  .default([])
  .superRefine((users, ctx) => {
    const seen = new Set<string>();
    users.forEach((u, i) => {
      if (seen.has(u.username)) ctx.addIssue({ code: 'custom', path: [i, 'username'], message: `duplicate user ${u.username}` });
      seen.add(u.username);
    });
  });

/** What a credentialsFile holds. */
export const credentialsFileSchema = z.strictObject({ users: usersSchema });

export const brokerConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the embedded MQTT broker'),
    listeners: z
      .array(listenerSchema)
      .min(1)
      .default([{ type: 'tcp', host: '0.0.0.0', port: 1883 }])
      .describe('Where the broker accepts connections')
      .superRefine((listeners, ctx) => {
        const seen = new Set<string>();
        listeners.forEach((l, i) => {
          const key = `${l.host}:${l.port}`;
          if (l.port !== 0 && seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `${key} is used by another listener` });
          seen.add(key);
        });
      }),
    allowAnonymous: z
      .boolean()
      .default(false)
      .describe('Accept clients without a user name; they may only subscribe to the republished tree <topicPrefix>/<gateway id>/#'),
    users: usersSchema.describe('Users and their ACLs'),
    credentialsFile: z.string().min(1).optional().describe('YAML file with `users:` (same shape as users), read at start; keeps hashes out of the main config'),
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'topic levels of letters, digits, _ . - separated by /')
      .max(128)
      .default('atalaya')
      .describe('First level(s) of every topic the gateway uses'),
    maxPayloadBytes: z.number().int().min(256).max(1_048_576).default(16_384).describe('Largest PUBLISH payload accepted, bytes, 256..1048576'),
    maxTopicLevels: z.number().int().min(4).max(100).default(8).describe('Most /-separated levels in a published or subscribed topic, 4..100'),
    queueLimit: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Packets a client may send before its CONNACK; more closes it (aedes queueLimit), 1..100000'),
    drainTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5000)
      .describe('A client whose socket does not drain in this time is disconnected (aedes drainTimeout), ms, 100..600000'),
    concurrency: z.number().int().min(1).max(10_000).default(100).describe('Messages delivered at once to subscribers (aedes concurrency), 1..10000'),
    maxClients: z.number().int().min(1).max(10_000).default(200).describe('Connected clients; more get CONNACK 3 (server unavailable), 1..10000'),
    connectTimeoutMs: z
      .number()
      .int()
      .min(500)
      .max(120_000)
      .default(5000)
      .describe(
        'A connection that has not authenticated (TLS, WebSocket upgrade, CONNECT, password check) this long after it was accepted is closed, ms, 500..120000',
      ),
    maxPendingPerAddress: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(16)
      .describe('Unauthenticated connections from one remote address; a new one closes the oldest of them, 1..10000'),
    maxPending: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(128)
      .describe('Unauthenticated connections in all, apart from maxClients; a new one closes the oldest of the address holding most, 1..10000'),
    maxConcurrentPasswordChecks: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(2)
      .describe(
        'Password checks (scrypt, ~16 MiB and one core each) running at once, plus one for a CONNECT with no failure on record; the others queue, 1..64',
      ),
    authBackoffInitialMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(100)
      .describe('After a wrong password, the next check for the same remote address or user name waits this long, doubling per further failure, ms, 10..60000'),
    authBackoffMaxMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(30_000)
      .describe('Longest back-off after wrong passwords, ms, 100..3600000; waits longer than half connectTimeoutMs are refused (CONNACK 3) without a check'),
    maxPublishesPerSecond: z
      .number()
      .int()
      .min(1)
      // One QoS 1 client with 100 messages in flight passes 100,000/s on a quiet x86 core since
      // issue 18: the bound leaves room for benches and fast LAN gateways.
      .max(1_000_000)
      .default(500)
      .describe('PUBLISH packets per client per second; over it the client is disconnected and counted (flood), 1..1000000'),
    mappings: mappingsSchema,
    reportIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(86_400_000)
      .default(60_000)
      .describe('How often refused-message counts are logged (when any) and published on <topicPrefix>/<gateway id>/status/ingest, ms'),
  })
  .superRefine((c, ctx) => {
    // The deepest topic the gateway publishes: <prefix>/<gateway>/<device>/<channel>/alarm/<rule>.
    const needed = topicLevels(c.topicPrefix) + 5;
    if (c.authBackoffMaxMs < c.authBackoffInitialMs)
      ctx.addIssue({ code: 'custom', path: ['authBackoffMaxMs'], message: `must be at least authBackoffInitialMs (${c.authBackoffInitialMs})` });
    c.mappings.forEach((m, i) => {
      // A mapping claims its topic's first level (agent/broker/mapping-ingest.ts): never the gateway's own tree.
      const compiled = m.format === 'sparkplug-b' ? undefined : compileTopicPattern(m.topic);
      if (compiled?.ok === true && compiled.pattern.root === c.topicPrefix.split('/')[0])
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', i, 'topic'],
          message: `must not start with ${compiled.pattern.root}/: that is topicPrefix's tree (ingest and republish)`,
        });
    });
    if (c.maxTopicLevels < needed)
      ctx.addIssue({
        code: 'custom',
        path: ['maxTopicLevels'],
        message: `must be at least ${needed} for topicPrefix ${c.topicPrefix} (alarm topics have ${needed} levels)`,
      });
  });

export type BrokerConfig = z.output<typeof brokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;
export type BrokerUser = z.output<typeof userSchema>;
export type ListenerConfig = BrokerConfig['listeners'][number];
