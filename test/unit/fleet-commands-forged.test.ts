/**
 * Issue 16 §3 and §5: a forged answer (signed with another key) and a replayed one (a good answer
 * sent again for a later poll) never reach the commands part, and the command of a good answer
 * runs once however often it comes. A real HTTP server on port 0 stands for the relay; the agent's
 * FleetClient and CommandsPart are the real ones, on a real buffer file.
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../../agent/buffer/migrations.ts';
import { FleetClient } from '../../agent/fleet/client.ts';
import { CommandsPart } from '../../agent/fleet/commands-part.ts';
import { CommandsStore } from '../../agent/fleet/commands-store.ts';
import { systemClock } from '../../protocols/clock.ts';
import { encodeAnswer } from '../../protocols/fleet/codec.ts';
import { FLEET_POLL_PATH } from '../../protocols/fleet/types.ts';
import { RESPONSE_SIGNATURE_HEADERS, signResponse } from '../../protocols/sync/response-signature.ts';
import { newGatewaySecret, SIGNATURE_HEADERS, secretBytes } from '../../protocols/sync/signature.ts';
import { testLogger } from '../helpers/logger.ts';

type Mode = 'forged' | 'good' | 'replay';
const key = secretBytes(newGatewaySecret());
let mode: Mode = 'good';
let server: Server;
let url: string;
let dir: string;
let store: CommandsStore;
let last: { headers: Record<string, string>; body: Buffer } | undefined;
const polls: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-forged-'));
  const db = new Sqlite(path.join(dir, 'buffer.db'));
  migrate(db, testLogger());
  db.close();
  store = new CommandsStore(path.join(dir, 'buffer.db'));
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      polls.push(mode);
      if (mode === 'replay' && last !== undefined) {
        res.writeHead(200, last.headers).end(last.body);
        return;
      }
      const now = Date.now();
      const body = encodeAnswer({
        v: 1,
        now,
        parts: {
          commands: {
            now,
            commands: [{ id: 'cmd-poll-0001', kind: 'device.poll', args: { device: 'gas-1' }, issuedAt: now, expiresAt: now + 60_000 }],
            confirmed: [],
          },
        },
      });
      const nonce = String(req.headers[SIGNATURE_HEADERS.nonce]);
      const secret = mode === 'forged' ? secretBytes(newGatewaySecret()) : key;
      const headers = {
        'content-type': 'application/json',
        [RESPONSE_SIGNATURE_HEADERS.timestamp]: String(now),
        [RESPONSE_SIGNATURE_HEADERS.signature]: signResponse({ path: FLEET_POLL_PATH, requestNonce: nonce, timestamp: now, status: 200, body, secret }),
      };
      if (mode === 'good') last = { headers, body };
      res.writeHead(200, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  store?.close();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

it('runs a command only from an answer signed for the poll just sent, and once', async () => {
  const calls: string[] = [];
  const part = new CommandsPart({
    store,
    maxAgeMs: 600_000,
    clock: systemClock,
    logger: testLogger(),
    targets: {
      acknowledge: () => false,
      readRegisters: () => undefined,
      pollDevice: (device) => {
        calls.push(device);
        return Promise.resolve({ records: 1, good: 1 });
      },
      restart: () => undefined,
      report: () => undefined,
    },
  });
  const client = new FleetClient({ url, gatewayId: 'gw-1', secret: key, intervalMs: 60_000, timeoutMs: 5000, clock: systemClock, logger: testLogger() });
  client.register(part);
  client.start();
  try {
    mode = 'forged';
    await client.pollNow();
    expect(calls).toEqual([]);
    expect(store.unconfirmed()).toEqual([]); // not even claimed
    mode = 'good';
    await client.pollNow();
    expect(calls).toEqual(['gas-1']);
    mode = 'replay';
    await client.pollNow();
    mode = 'good';
    await client.pollNow();
    expect(calls).toEqual(['gas-1']);
    expect(polls).toEqual(expect.arrayContaining(['forged', 'good', 'replay']));
    expect(client.status().rejectedAnswers).toBe(2);
  } finally {
    await client.stop();
  }
});
