/**
 * Issue 13 §1, device faults: readings of a channel that stay comm_error past
 * deviceFaultAfterMinutes (2 s here) open a device_fault alert with a webhook; a good reading
 * closes it with another. Records go through the real relay's signed ingest, on SQLite and on
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './alerts-setup.ts';
import { batchOf, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

const GATEWAY = 'gw-fault';
const SECRET = 'device-fault-webhook-secret';
const AFTER_MS = 2000;

type AlertRow = { id: string; kind: string; state: string; openedAt: number; closedAt: number | null; device: string | null; channel: string | null };

describe.each([{ backend: 'sqlite' }, { backend: 'postgres' }])('alerts: device faults ($backend)', ({ backend }) => {
  let pg: TestPostgres | undefined;
  let relay: TestRelay | undefined;
  let receiver: Receiver | undefined;
  let secret: string;

  beforeAll(async () => {
    receiver = new Receiver();
    receiver.secret = SECRET;
    const hook = await receiver.start();
    let storage: Record<string, unknown> | undefined;
    if (backend === 'postgres') {
      pg = await startPostgres();
      storage = { kind: 'postgres', url: await pg.newDatabase(), maxConnections: 4 };
    }
    relay = await startTestRelay({
      ...(storage === undefined ? {} : { storage }),
      env: { ATALAYA_WEBHOOK_SECRET: SECRET },
      alerts: {
        enabled: true,
        tickMs: 200,
        deviceFaultAfterMinutes: AFTER_MS / 60_000,
        silentAfterMinutes: 0,
        backoffMs: { base: 100, max: 1000 },
        channels: { webhook: {} },
        groups: { guardia: { members: [{ name: 'ana', webhook: `${hook}/guardia` }] } },
        rules: [{ name: 'faults', kinds: ['device_fault'], groups: ['guardia'] }],
      },
    });
    secret = await relay.addGateway(GATEWAY);
  }, 60_000);

  afterAll(async () => {
    await relay?.stop().catch(() => undefined);
    await receiver?.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
  });

  const alerts = async (): Promise<AlertRow[]> => {
    const res = await fetch(`${relay!.url}/v1/alerts?state=all`, { headers: { authorization: `Bearer ${relay!.token}` } });
    return ((await res.json()) as { alerts: AlertRow[] }).alerts.filter((a) => a.kind === 'device_fault');
  };
  const hooks = () => receiver!.to('/guardia');
  /** One reading of caudal-1 / flow taken now. */
  const reading = (seq: number, quality: 'good' | 'comm_error'): StoredRecord => {
    const [r] = readings(1, { firstSeq: seq });
    return { ...r!, channel: 'flow', ts: Date.now(), quality, value: quality === 'good' ? 10 : null };
  };
  const ingest = async (records: StoredRecord[]): Promise<void> => {
    expect((await send(relay!.url, secret, batchOf(GATEWAY, records))).status).toBe(200);
  };

  it('a channel in comm_error past the period opens an alert with a webhook; a good reading closes it', async () => {
    await ingest([reading(1, 'good'), reading(2, 'good')]);
    const first = reading(3, 'comm_error');
    await ingest([first, reading(4, 'comm_error')]);
    await ingest([reading(5, 'comm_error')]);
    const opened = await waitFor(async () => (await alerts()).find((a) => a.state === 'open'), 'the device fault alert', 20_000, 50);
    expect(opened.id).toBe(`device:${GATEWAY}:caudal-1:flow:${first.ts}`);
    expect([opened.device, opened.channel]).toEqual(['caudal-1', 'flow']);
    // Not before the period: the channel had been bad for AFTER_MS when it opened.
    expect(opened.openedAt - first.ts).toBeGreaterThanOrEqual(AFTER_MS);
    await waitFor(() => (hooks().length >= 1 ? true : undefined), 'the fault webhook', 20_000, 50);
    expect(hooks()[0]!.body.eventId).toBe(opened.id);

    await ingest([reading(6, 'good')]);
    const closed = await waitFor(async () => (await alerts()).find((a) => a.id === opened.id && a.state === 'closed'), 'the alert closed', 20_000, 50);
    expect(closed.closedAt).toBeGreaterThan(opened.openedAt);
    await waitFor(() => (hooks().length >= 2 ? true : undefined), 'the recovery webhook', 20_000, 50);
    expect(hooks()[1]!.body.title).toMatch(/^\[resolved\]/);
    expect((await alerts()).length).toBe(1);
  }, 60_000);
});
