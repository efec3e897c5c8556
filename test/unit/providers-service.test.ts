/**
 * The sources' composition (cloud/providers/service.ts) with a store double: a source without its
 * secret stops the start with a coded error naming where the secret is looked for; a configured
 * source that was not provisioned stays idle (404) and shows as such; the webhook secret is
 * checked before anything is read.
 */
import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { SOURCE_SECRET_MISSING } from '../../cloud/providers/errors.ts';
import { NO_SOURCE_METRICS } from '../../cloud/providers/metrics.ts';
import { ProviderService } from '../../cloud/providers/service.ts';
import type { SourceRow, SourcesStore } from '../../cloud/store/sources-types.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';

const { sources } = parseRelayConfig({
  sources: [
    { id: 'ttn', kind: 'tts', devices: [{ match: 'd', device: 'pozo', fields: { flow: { channel: 'flow', unit: 'L/s' } } }] },
    { id: 'tago-1', kind: 'tago', device: 'pozo-t', variables: { caudal: { channel: 'flow', unit: 'L/s' } } },
  ],
});

function service(env: Record<string, string>, provisioned: Array<Pick<SourceRow, 'id' | 'kind'>>) {
  const ingested: unknown[] = [];
  const store = {
    listSources: async () => provisioned.map((p) => ({ ...p, gateway: `src-${p.id}`, messages: 0, duplicates: 0, failures: 0 })),
    problems: async () => [],
    ingest: async (b: unknown) => {
      ingested.push(b);
      return { messages: 1, records: 1, duplicates: 0, firstSeq: 1, lastSeq: 1 };
    },
    countProblems: async () => undefined,
  } as unknown as SourcesStore;
  const s = new ProviderService({
    sources,
    store,
    env,
    clock: { now: () => 1, monotonic: () => 1 },
    logger: testLogger(),
    metrics: NO_SOURCE_METRICS,
    schedule: false,
  });
  return { s, ingested };
}

describe('ProviderService', () => {
  it('refuses to start without a source secret, naming the variable and never a value', async () => {
    const { s } = service({ ATALAYA_SOURCE_TTN_SECRET: 'hook-secret' }, []);
    const err = await s.start().catch((e: unknown) => e);
    expect(isAtalayaError(err, SOURCE_SECRET_MISSING)).toBe(true);
    expect((err as Error).message).toContain('ATALAYA_SOURCE_TAGO_1_SECRET');
    expect((err as Error).message).not.toContain('hook-secret');
  });

  it('leaves a source that was not provisioned idle, and says so in its status', async () => {
    const { s, ingested } = service({ ATALAYA_SOURCE_TTN_SECRET: 'hook-secret', ATALAYA_SOURCE_TAGO_1_SECRET: 'tok' }, [{ id: 'tago-1', kind: 'http' }]);
    await s.start();
    expect(await s.webhook('ttn', 'hook-secret', '{}')).toMatchObject({ status: 404 });
    expect(s.puller('tago-1')).toBeUndefined();
    expect((await s.status()).map((x) => [x.id, x.configured, x.provisioned])).toEqual([
      ['tago-1', true, false],
      ['ttn', true, false],
    ]);
    expect(ingested).toEqual([]);
    await s.stop();
  });

  it('checks the webhook secret (any length) before reading the body', async () => {
    const { s, ingested } = service({ ATALAYA_SOURCE_TTN_SECRET: 'hook-secret', ATALAYA_SOURCE_TAGO_1_SECRET: 'tok' }, [
      { id: 'ttn', kind: 'tts' },
      { id: 'tago-1', kind: 'tago' },
    ]);
    await s.start();
    for (const wrong of [undefined, '', 'hook-secre', 'hook-secret ', 'x'.repeat(10_000)]) expect((await s.webhook('ttn', wrong, 'not json')).status).toBe(401);
    expect(ingested).toEqual([]);
    expect((await s.webhook('ttn', 'hook-secret', 'not json')).status).toBe(400);
    expect((await s.webhook('ttn', 'hook-secret', '{"end_device_ids":{"device_id":"d"},"uplink_message":{}}')).status).toBe(200);
    expect(ingested).toHaveLength(1);
    await s.stop();
  });
});
