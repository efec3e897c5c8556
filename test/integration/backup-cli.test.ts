import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../cloud/store/migrations-sqlite.ts';
import type { RelayProcess } from '../helpers/relay-process.ts';
import { addGateway, runAtalaya, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { BufferWriter, inspect, writeAgentYaml } from './backup-setup.ts';

/** Each command is a process start (tsx): slow on a loaded machine, so these tests get room. */
const CLI_TEST_TIMEOUT_MS = 240_000;

let dir: string;
let writer: BufferWriter | undefined;
let relay: RelayProcess | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-backup-cli-'));
});

afterEach(async () => {
  await writer?.kill();
  await relay?.process.kill();
  writer = undefined;
  relay = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

const NEXT_SEQ = "SELECT value FROM meta WHERE key = 'next_seq'";

describe('atalaya agent backup / restore', () => {
  it(
    'restore refuses while the agent runs and without --force, then replaces the buffer',
    async () => {
      const live = path.join(dir, 'buffer.db');
      const config = writeAgentYaml(dir, 'agent.yaml', live);
      const copy = path.join(dir, 'copy.db');
      const w = (writer = new BufferWriter(live, 1));
      await waitFor(() => w.lastSeq >= 500 || !w.running, 'the writer under way', 60_000);

      const backup = await runAtalaya(['agent', 'backup', copy, '-c', config]);
      expect(backup.status).toBe(0);
      const copied = inspect(copy, NEXT_SEQ).value - 1;
      expect((await runAtalaya(['agent', 'backup', copy, '-c', config])).stderr).toContain('[ATALAYA_BACKUP_DEST_EXISTS]');

      const refused = await runAtalaya(['agent', 'restore', copy, '-c', config, '--force']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('[ATALAYA_BACKUP_TARGET_IN_USE]');
      // The agent's buffer was not touched: it goes on committing past the copy.
      await waitFor(() => w.lastSeq > copied + 100 || !w.running, 'commits after the refused restore', 60_000);
      expect(w.running, w.describe()).toBe(true);
      await w.kill();
      expect(inspect(live, NEXT_SEQ).value - 1).toBeGreaterThan(copied + 100);

      const noForce = await runAtalaya(['agent', 'restore', copy, '-c', config]);
      expect(noForce.status).toBe(1);
      expect(noForce.stderr).toContain('[ATALAYA_BACKUP_TARGET_EXISTS]');

      const restored = await runAtalaya(['agent', 'restore', copy, '-c', config, '--force']);
      expect(restored.stderr).toBe('');
      expect(restored.status).toBe(0);
      expect(restored.stdout).toContain(`${copied} records, last seq ${copied},`);
      expect(inspect(live, NEXT_SEQ)).toMatchObject({ integrity: ['ok'], value: copied + 1 });
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'usage errors exit 2 and create nothing',
    async () => {
      const config = writeAgentYaml(dir, 'agent.yaml', path.join(dir, 'buffer.db'));
      expect((await runAtalaya(['agent', 'backup', '-c', config])).status).toBe(2);
      expect((await runAtalaya(['agent', 'backup', path.join(dir, 'x.db'), '--force', '-c', config])).status).toBe(2);
      expect((await runAtalaya(['agent', 'restore', 'a.db', 'b.db', '-c', config])).status).toBe(2);
      expect((await runAtalaya(['agent', 'backup', path.join(dir, 'x.db'), '-c', path.join(dir, 'missing.yaml')])).status).toBe(2);
      const missing = await runAtalaya(['agent', 'backup', path.join(dir, 'x.db'), '-c', config]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('[ATALAYA_BACKUP_SOURCE_MISSING]');
      expect(fs.readdirSync(dir)).toEqual(['agent.yaml']);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe('atalaya relay backup / restore', () => {
  it(
    'backs up a running relay, refuses to restore under it, restores once it is stopped',
    async () => {
      const { configFile } = writeRelayConfig(dir, { kind: 'sqlite', path: 'data/relay.db' });
      const db = path.join(dir, 'data', 'relay.db');
      relay = await startRelayProcess(configFile);
      await addGateway(configFile, 'gw-1');

      const copy = path.join(dir, 'relay-copy.db');
      const backup = await runAtalaya(['relay', 'backup', copy, '-c', configFile]);
      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      expect(inspect(copy, 'SELECT count(*) FROM gateways')).toMatchObject({ integrity: ['ok'], version: SQLITE_MIGRATIONS.length, value: 1 });

      const refused = await runAtalaya(['relay', 'restore', copy, '--force', '-c', configFile]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('[ATALAYA_BACKUP_TARGET_IN_USE]');

      expect((await relay.process.stop()).code).toBe(0);
      await addGateway(configFile, 'gw-2');
      const noForce = await runAtalaya(['relay', 'restore', copy, '-c', configFile]);
      expect(noForce.stderr).toContain('[ATALAYA_BACKUP_TARGET_EXISTS]');
      const restored = await runAtalaya(['relay', 'restore', copy, '--force', '-c', configFile]);
      expect(restored.status).toBe(0);
      expect(inspect(db, 'SELECT count(*) FROM gateways')).toMatchObject({ integrity: ['ok'], value: 1 });
      const list = await runAtalaya(['relay', 'gateway', 'list', '-c', configFile]);
      expect(list.stdout).toContain('gw-1');
      expect(list.stdout).not.toContain('gw-2');
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'says PostgreSQL is for pg_dump: exit 2, nothing written',
    async () => {
      const { configFile } = writeRelayConfig(dir, { kind: 'postgres', url: 'postgres://relay@127.0.0.1:1/atalaya' });
      const before = fs.readdirSync(dir).sort();
      expect((await runAtalaya(['relay', 'backup', path.join(dir, 'x.db'), '-c', configFile])).status).toBe(2);
      expect((await runAtalaya(['relay', 'restore', path.join(dir, 'x.db'), '--force', '-c', configFile])).status).toBe(2);
      expect(fs.readdirSync(dir).sort()).toEqual(before);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
