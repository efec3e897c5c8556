/**
 * `atalaya relay export` as an operator runs it (a spawned CLI on a relay's SQLite file): the
 * readings CSV reads back to exactly the store's rows; the volumes CSV has the exact daily volumes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReadingsCsv } from '../../cloud/dga/csv.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { parseCsv } from '../../protocols/csv.ts';
import { testLogger } from '../helpers/logger.ts';
import { cleanEnv, runAtalaya, writeRelayConfig } from '../helpers/relay-process.ts';
import { DAY, flowmeterRecords, MINUTE, WRAP } from './volumes-setup.ts';

const JAN30 = Date.parse('2026-01-30T00:00:00-04:00');
let dir: string;
let configFile: string;
let stored: RelayRecord[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-export-'));
  const dga = `dga:
  obras:
    - {code: OB-0602-7, kind: superficial-flujometro, gateway: gw-1, device: 'canal, "norte"', startAt: '2026-01-30T00:00:00-04:00',
       channels: {flow: flow, totalizer: totalizer}, totalizerWrapAt: ${WRAP}, waterRight: {flowLps: 20, annualM3: 100000}}
`;
  ({ configFile } = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' }, dga));
  const database = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db') }, testLogger());
  await database.start();
  try {
    await database.records.addGateway('gw-1', 'sealed', JAN30);
    // A device name with a comma and quotes, the register rolling over on the first day.
    const records = flowmeterRecords('gw-1', 'canal, "norte"', JAN30 - 5 * MINUTE, 2 * 1440 + 10, WRAP - 300, () => 12.5);
    const outcome = await database.records.ingest({ gateway: 'gw-1', records, now: JAN30 + 3 * DAY, clockOffsetMs: 0 });
    expect(outcome.ok).toBe(true);
    stored = [];
    let cursor: string | undefined;
    do {
      const page = await database.records.queryRecords({
        gateway: 'gw-1',
        from: JAN30,
        to: JAN30 + DAY,
        limit: 10_000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      stored.push(...page.items);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  } finally {
    await database.stop();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('atalaya relay export', () => {
  it("readings: the CSV reads back to the store's rows, and an existing file is never overwritten", async () => {
    const out = path.join(dir, 'readings.csv');
    const args = [
      'relay',
      'export',
      'readings',
      '-c',
      configFile,
      '--gateway',
      'gw-1',
      '--from',
      '2026-01-30T00:00:00-04:00',
      '--to',
      String(JAN30 + DAY),
      '--out',
      out,
    ];
    const r = await runAtalaya(args, cleanEnv());
    expect(r.stderr).toContain(`${stored.length} reading(s)`);
    expect(r.status).toBe(0);
    expect(stored.length).toBe(2 * 1440);
    expect(parseReadingsCsv(fs.readFileSync(out, 'utf8'))).toEqual(stored);
    const again = await runAtalaya(args, cleanEnv());
    expect(again.status).toBe(1);
  });

  it('volumes: exact daily volumes with the share of the annual right; bad arguments exit 2', async () => {
    const r = await runAtalaya(
      ['relay', 'export', 'volumes', 'OB-0602-7', '-c', configFile, '--from', String(JAN30), '--to', String(JAN30 + 2 * DAY)],
      cleanEnv(),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(parseCsv(r.stdout)).toEqual([
      ['obra', 'period', 'start', 'end', 'volume_m3', 'share_of_annual_pct', 'readings', 'flags'],
      ['OB-0602-7', '2026-01-30', '2026-01-30T04:00:00.000Z', '2026-01-31T04:00:00.000Z', '1080', '1.08', '1440', 'rollover'],
      ['OB-0602-7', '2026-01-31', '2026-01-31T04:00:00.000Z', '2026-02-01T04:00:00.000Z', '1080', '1.08', '1440', ''],
    ]);
    expect((await runAtalaya(['relay', 'export', 'volumes', 'OB-0602-7', '-c', configFile, '--from', 'yesterday', '--to', '5'], cleanEnv())).status).toBe(2);
    expect((await runAtalaya(['relay', 'export', 'volumes', 'OB-0602-1', '-c', configFile, '--from', '1', '--to', '5'], cleanEnv())).status).toBe(1);
  });
});
