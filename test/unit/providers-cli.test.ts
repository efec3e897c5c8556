/** `atalaya relay source add` (cli/relay-source.ts addSource) on a SQLite file: refusals are coded, a second add of an id is refused. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addSource } from '../../cli/relay-source.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { SOURCE_EXISTS, SOURCE_INVALID } from '../../cloud/providers/errors.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-source-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const keyFile = path.join(dir, 'relay.key');
fs.writeFileSync(keyFile, `${newRelayKey()}\n`, { mode: 0o600 });
const config = parseRelayConfig({ storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') }, keyFile });

describe('relay source add', () => {
  it('provisions the source and its virtual gateway, then refuses the same id', async () => {
    expect(await addSource(config, 'ttn-pozos', 'tts', 'norte')).toBe('src-ttn-pozos');
    expect(isAtalayaError(await addSource(config, 'ttn-pozos', 'tago').catch((e: unknown) => e), SOURCE_EXISTS)).toBe(true);
    const db = createRelayDatabase(config.storage, testLogger());
    await db.start();
    try {
      expect(await db.sources.listSources()).toMatchObject([{ id: 'ttn-pozos', kind: 'tts', org: 'norte', gateway: 'src-ttn-pozos' }]);
      expect((await db.records.getGateway('src-ttn-pozos'))?.secretCiphertext).toMatch(/^v1\./);
    } finally {
      await db.stop();
    }
  });

  it('refuses a bad id or kind before touching the database', async () => {
    for (const [id, kind] of [
      ['-x', 'tts'],
      ['a'.repeat(61), 'tts'],
      ['ok', 'mqtt'],
    ] as const)
      expect(isAtalayaError(await addSource(config, id, kind).catch((e: unknown) => e), SOURCE_INVALID), `${id} ${kind}`).toBe(true);
  });
});
