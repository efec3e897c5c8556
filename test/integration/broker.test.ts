import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttBroker } from '../../agent/broker/broker.ts';
import { BROKER_LISTEN, BROKER_STOPPED, isBrokerError } from '../../agent/broker/errors.ts';
import type { BrokerConfigInput, ListenerType } from '../../agent/broker/schema.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import type { TestPki } from '../helpers/tls.ts';
import { makeTestPki } from '../helpers/tls.ts';

const run = promisify(execFile);
const logger = testLogger();

let dir: string;
let pki: TestPki;
let users: BrokerConfigInput['users'];
let buffer: RecordBuffer;
let broker: MqttBroker;
const clients: MqttClient[] = [];

function port(type: ListenerType): number {
  const found = broker.addresses().find((a) => a.type === type);
  if (found === undefined) throw new Error(`no ${type} listener`);
  return found.port;
}

function newBroker(config: BrokerConfigInput, buf: RecordBuffer): MqttBroker {
  return new MqttBroker({
    config: brokerConfigSchema.parse(config),
    gatewayId: 'gw1',
    sink: (records) => buf.append(records),
    onCommitted: (listener) => {
      buf.on('committed', listener);
      return () => buf.off('committed', listener);
    },
    bootId: 'boot-1',
    flags: () => 0,
    clock: systemClock,
    logger,
  });
}

/** Connects with the mqtt package; rejects with the client's error (err.code = CONNACK return code). */
function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push(client);
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  pki = await makeTestPki(dir);
  users = [
    { username: 'dev1', password: await hashPassword('secret-1'), publish: ['atalaya/in/%u/#'] },
    { username: 'viewer', password: await hashPassword('secret-v'), subscribe: ['atalaya/gw1/#'] },
  ];
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), commitIntervalMs: 20, clock: systemClock, logger });
  buffer.start();
  broker = newBroker(
    {
      listeners: [
        { type: 'tcp', host: '127.0.0.1', port: 0 },
        { type: 'tls', host: '127.0.0.1', port: 0, cert: pki.certFile, key: pki.keyFile },
        { type: 'ws', host: '127.0.0.1', port: 0 },
        { type: 'wss', host: '127.0.0.1', port: 0, cert: pki.certFile, key: pki.keyFile },
      ],
      users,
    },
    buffer,
  );
  await broker.start();
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
  await buffer?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const telemetry = (channel: string, value: number): string => JSON.stringify({ channel, value, unit: '%LEL' });
const stored = (device: string, channel: string): number => buffer.readAfter(0, 1000).filter((r) => r.device === device && r.channel === channel).length;

describe('MQTT broker transports', () => {
  it('takes a mosquitto_pub QoS 1 publish over TCP and a mosquitto_sub subscriber gets it republished', async () => {
    const sub = run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port('tcp')),
      '-u',
      'viewer',
      '-P',
      'secret-v',
      '-t',
      'atalaya/gw1/dev1/tcp1',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    // Whether it subscribes before or after the publish, the reading reaches it (retained).
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port('tcp')),
      '-u',
      'dev1',
      '-P',
      'secret-1',
      '-q',
      '1',
      '-t',
      'atalaya/in/dev1/telemetry',
      '-m',
      telemetry('tcp1', 7.5),
    ]);
    expect(stored('dev1', 'tcp1')).toBe(1);
    const { stdout } = await sub;
    expect(JSON.parse(stdout)).toMatchObject({ value: 7.5, unit: '%LEL', quality: 'good' });
  });

  it('serves TLS: mosquitto_pub --cafile publishes, mosquitto_sub reads the retained status', async () => {
    const tlsArgs = ['-h', 'localhost', '-p', String(port('tls')), '--cafile', pki.caFile];
    await run('mosquitto_pub', [...tlsArgs, '-u', 'dev1', '-P', 'secret-1', '-q', '1', '-t', 'atalaya/in/dev1/telemetry', '-m', telemetry('tls1', 1)]);
    expect(stored('dev1', 'tls1')).toBe(1);
    const { stdout } = await run('mosquitto_sub', [...tlsArgs, '-u', 'viewer', '-P', 'secret-v', '-t', 'atalaya/gw1/status/ingest', '-C', '1', '-W', '10']);
    expect(JSON.parse(stdout)).toHaveProperty('refused');
  });

  it('serves WebSocket and secure WebSocket (mqtt package; Debian mosquitto_pub 2.0.11 has no ws://)', async () => {
    const ws = await connect(`ws://127.0.0.1:${port('ws')}/mqtt`, { username: 'dev1', password: 'secret-1' });
    await ws.publishAsync('atalaya/in/dev1/telemetry', telemetry('ws1', 2), { qos: 1 });
    expect(stored('dev1', 'ws1')).toBe(1);
    const wss = await connect(`wss://localhost:${port('wss')}/mqtt`, { username: 'viewer', password: 'secret-v', ca: fs.readFileSync(pki.caFile) });
    const got = new Promise<Buffer>((resolve) => wss.once('message', (_t, payload) => resolve(payload)));
    await wss.subscribeAsync('atalaya/gw1/dev1/ws1');
    expect(JSON.parse((await got).toString())).toMatchObject({ value: 2 });
  });
});

describe('MQTT broker authentication and ACL', () => {
  const url = (): string => `mqtt://127.0.0.1:${port('tcp')}`;

  it('refuses a wrong password and an unknown user with CONNACK 4, an anonymous client with CONNACK 5', async () => {
    await expect(connect(url(), { username: 'dev1', password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(url(), { username: 'nobody', password: 'secret-1' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(url())).rejects.toMatchObject({ code: 5 });
    const pub = run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port('tcp')), '-u', 'dev1', '-P', 'nope', '-t', 'atalaya/in/dev1/telemetry', '-m', '{}']);
    await expect(pub).rejects.toMatchObject({ stderr: expect.stringMatching(/bad user name or password/) });
    expect(broker.stats().refused.auth_failed).toBeGreaterThanOrEqual(4);
  });

  it('closes a device that publishes as another device, storing nothing', async () => {
    const client = await connect(url(), { username: 'dev1', password: 'secret-1' });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const before = broker.stats().refused.acl;
    client.publish('atalaya/in/dev2/telemetry', telemetry('acl1', 3), { qos: 1 });
    await closed;
    expect(stored('dev2', 'acl1')).toBe(0);
    expect(broker.stats().refused.acl).toBe(before + 1);
  });

  it('answers a subscription outside the ACL with SUBACK 0x80', async () => {
    const client = await connect(url(), { username: 'viewer', password: 'secret-v' });
    // mqtt.js rejects when any return code is 0x80, with the SUBACK attached.
    const err = await client.subscribeAsync(['atalaya/in/#', 'atalaya/gw1/+/ch4']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ packet: { cmd: 'suback', granted: [128, 0] } });
    expect(client.connected).toBe(true);
  });
});

describe('MQTT broker lifecycle', () => {
  it('refuses clients over maxClients with CONNACK 3; stop() ends every connection, even one that never sent CONNECT', async () => {
    const small = newBroker({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }], users, maxClients: 1 }, buffer);
    await small.start();
    try {
      const smallUrl = `mqtt://127.0.0.1:${small.addresses()[0]?.port}`;
      const first = await connect(smallUrl, { username: 'viewer', password: 'secret-v' });
      await expect(connect(smallUrl, { username: 'viewer', password: 'secret-v' })).rejects.toMatchObject({ code: 3 });
      const silent = net.connect(small.addresses()[0]?.port ?? 0, '127.0.0.1');
      await new Promise((resolve) => silent.once('connect', resolve));
      const closed = Promise.all([new Promise<void>((r) => first.once('close', () => r())), new Promise((r) => silent.once('close', r))]);
      await small.stop();
      await closed;
      await small.stop();
      expect(
        isBrokerError(
          await small.start().then(
            () => undefined,
            (e: unknown) => e,
          ),
          BROKER_STOPPED,
        ),
      ).toBe(true);
    } finally {
      await small.stop();
    }
  });

  it('fails with ATALAYA_BROKER_LISTEN when a port is taken, and releases the listeners it had opened', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const other = newBroker(
      {
        listeners: [
          { type: 'tcp', host: '127.0.0.1', port: freePort },
          { type: 'ws', host: '127.0.0.1', port: takenPort },
        ],
      },
      buffer,
    );
    try {
      const err = await other.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBrokerError(err, BROKER_LISTEN)).toBe(true);
      expect(isBrokerError(err) && err.details).toMatchObject({ type: 'ws', host: '127.0.0.1', port: takenPort, errno: 'EADDRINUSE' });
      const again = net.createServer();
      await new Promise<void>((resolve, reject) => again.once('error', reject).listen(freePort, '127.0.0.1', resolve));
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await other.stop();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
