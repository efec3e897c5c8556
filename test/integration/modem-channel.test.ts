/**
 * The agent's modem channel (agent/paging/modem.ts) against the modem simulator on a socat pty:
 * a sent SMS, no signal / not registered / +CMS ERROR as coded outcomes (retryable or not), a
 * hung modem as a timeout, and the port reopened after the modem went away.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PAGING_MODEM_TIMEOUT, PAGING_NO_SIGNAL, PAGING_SEND_REFUSED, PAGING_SIM_NOT_READY } from '../../agent/paging/errors.ts';
import { ModemChannel } from '../../agent/paging/modem.ts';
import { modemChannelSchema } from '../../agent/paging/schema.ts';
import type { Notification } from '../../platform/notify/types.ts';
import { ModemSimulator } from '../../simulators/modem/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPtyPair, type PtyPair } from '../helpers/pty.ts';

const MESSAGE: Notification = {
  key: 'k1',
  eventId: 'e1',
  severity: 'alarm',
  title: 'ALARM gas-1 ch4 25 %LEL',
  text: 'Gateway gw-1, rule high2.',
  at: 0,
  facts: {},
};

let dir: string;
let pty: PtyPair;
let sim: ModemSimulator;
let channel: ModemChannel;

function makeChannel(extra: Record<string, unknown> = {}): ModemChannel {
  const config = modemChannelSchema.parse({ path: pty.a, commandTimeoutMs: 500, sendTimeoutMs: 1000, reopenMs: 100, ...extra });
  return new ModemChannel({ config, now: Date.now, logger: testLogger() });
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-modem-ch-'));
  pty = await openPtyPair(dir);
  sim = new ModemSimulator({ path: pty.b, logger: testLogger() });
  await sim.start();
  channel = makeChannel();
});

afterEach(async () => {
  await channel.close();
  await sim.stop();
  await pty.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('modem channel', () => {
  it('sends an SMS in text mode, fitted to GSM-7, and reports the message reference', async () => {
    expect(await channel.send('+56911111111', { ...MESSAGE, text: 'Señal: válvula ¿ok? [x]' })).toEqual({ ok: true, providerId: '0' });
    expect(await channel.send('+56911111111', MESSAGE)).toEqual({ ok: true, providerId: '1' });
    expect(sim.messages.map((m) => m.text)).toEqual(['ALARM gas-1 ch4 25 %LEL\nSenal: valvula ?ok? ?x?', 'ALARM gas-1 ch4 25 %LEL\nGateway gw-1, rule high2.']);
  });

  it('no signal, +CMS ERROR and a hung modem are outcomes with codes; permanent CMS errors are not retried', async () => {
    sim.faults = { noSignal: true };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: false, retryable: true, code: PAGING_NO_SIGNAL });
    sim.faults = { cmsError: 38 };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: false, retryable: true, code: PAGING_SEND_REFUSED });
    sim.faults = { cmsError: 1 };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: false, retryable: false, code: PAGING_SEND_REFUSED });
    sim.faults = { drop: true };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: false, retryable: true, code: PAGING_MODEM_TIMEOUT });
    sim.faults = { simPin: '4321' };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: false, code: PAGING_SIM_NOT_READY });
    expect(sim.messages).toEqual([]);
    sim.faults = {};
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: true });
  });

  it('gives the configured SIM PIN, and never puts it in an outcome', async () => {
    await channel.close();
    channel = makeChannel({ pin: '4321' });
    sim.faults = { simPin: '4321' };
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: true });
    await channel.close();
    channel = makeChannel({ pin: '9999' });
    sim.faults = { simPin: '4321' };
    const outcome = await channel.send('+56911111111', MESSAGE);
    expect(outcome).toMatchObject({ ok: false, code: PAGING_SIM_NOT_READY });
    expect(JSON.stringify(outcome)).not.toContain('9999');
  });

  it('reopens the port after the modem went away', async () => {
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: true });
    // The line goes away (socat exits: the agent's end of the pty is hung up), then comes back.
    await sim.stop();
    await pty.close();
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({
      ok: false,
      code: expect.stringMatching(/^ATALAYA_PAGING_(PORT_FAILED|MODEM_TIMEOUT)$/),
    });
    pty = await openPtyPair(dir);
    sim = new ModemSimulator({ path: pty.b, logger: testLogger() });
    await sim.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await channel.send('+56911111111', MESSAGE)).toMatchObject({ ok: true });
    expect(sim.messages).toHaveLength(1);
  });
});
