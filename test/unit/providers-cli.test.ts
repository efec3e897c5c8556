/**
 * `atalaya relay source add` (cli/relay-source.ts addSource) on a SQLite file: the virtual gateway
 * is in the source's organization, the add is audited as cli:<OS user>, refusals are coded, a second
 * add of an id is refused.
 */
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
  it('provisions the source and its virtual gateway in its organization, audited, then refuses the same id', async () => {
    const setup = createRelayDatabase(config.storage, testLogger());
    await setup.start();
    await setup.orgs.add('norte', 'Norte', Date.now());
    await setup.stop();
    expect(await addSource(config, 'ttn-pozos', 'tts', 'norte')).toBe('src-ttn-pozos');
    expect(isAtalayaError(await addSource(config, 'ttn-pozos', 'tago').catch((e: unknown) => e), SOURCE_EXISTS)).toBe(true);
    const db = createRelayDatabase(config.storage, testLogger());
    await db.start();
    try {
      expect(await db.sources.listSources()).toMatchObject([{ id: 'ttn-pozos', kind: 'tts', org: 'norte', gateway: 'src-ttn-pozos' }]);
      expect(await db.records.getGateway('src-ttn-pozos')).toMatchObject({ orgId: 'norte', secretCiphertext: expect.stringMatching(/^v1\./) });
      expect(await db.identity.queryAudit({ action: 'source.add', limit: 10 })).toMatchObject([
        { actor: `cli:${os.userInfo().username}`, orgId: 'norte', target: 'ttn-pozos', details: { kind: 'tts', gateway: 'src-ttn-pozos', org: 'norte' } },
      ]);
    } finally {
      await db.stop();
    }
  });

  it('refuses an organization that does not exist', async () => {
    expect(isAtalayaError(await addSource(config, 'tago-x', 'tago', 'nadie').catch((e: unknown) => e), SOURCE_INVALID)).toBe(true);
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
