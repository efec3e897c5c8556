/**
 * Issue 18 §3: what each choice of the relay's `records` layout costs to write on SQLite, measured
 * rather than guessed. The same 600,000 synced readings (100 gateways × 6 batches of 1,000, the
 * batches of different gateways interleaved as concurrent posts arrive) go by bare batched INSERT
 * (one transaction per batch, synchronous=full, WAL) into tables that differ in one thing at a time:
 * text vs narrow columns, WITHOUT ROWID or not, which secondary indexes. Prints rows/s per layout.
 * Run: node bin/run-ts.mjs test/bench/relay-records-layout.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Sqlite from 'better-sqlite3';
import { hashBytes, kindCode, qualityCode } from '../../cloud/store/records-codec.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { fmt, machineLine, out } from './common.ts';
import { realisticRecords } from './sync-wire.ts';

const GATEWAYS = 100;
const BATCHES = 6;
const PER_BATCH = 1000;

const COLUMNS =
  'gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash';

function table(narrow: boolean, withoutRowid: boolean): string {
  const code = narrow ? 'INTEGER' : 'TEXT';
  return `CREATE TABLE records (
    gateway TEXT NOT NULL, seq INTEGER NOT NULL, kind ${code} NOT NULL, device TEXT NOT NULL, channel TEXT NOT NULL, value REAL,
    unit TEXT NOT NULL, quality ${code} NOT NULL, exception INTEGER, ts INTEGER NOT NULL, ts_corrected INTEGER, mono INTEGER NOT NULL,
    boot_id TEXT NOT NULL, priority INTEGER NOT NULL, flags INTEGER NOT NULL, alarm TEXT, received_at INTEGER NOT NULL,
    hash ${narrow ? 'BLOB' : 'TEXT'} NOT NULL, anchor_batch INTEGER,
    record_time INTEGER GENERATED ALWAYS AS (coalesce(ts_corrected, ts)) VIRTUAL,
    PRIMARY KEY (gateway, seq)) ${withoutRowid ? 'WITHOUT ROWID' : ''};`;
}

const ALARM = (a: string) => `
  CREATE INDEX records_alarm_time ON records (record_time, gateway, seq) WHERE kind = ${a};
  CREATE INDEX records_gateway_alarm_time ON records (gateway, record_time, seq) WHERE kind = ${a};
  CREATE INDEX records_alarm_received ON records (received_at, gateway, seq) WHERE kind = ${a};`;
const ANCHORED = `CREATE INDEX records_anchor_batch ON records (anchor_batch, gateway, seq) WHERE anchor_batch IS NOT NULL;`;
const UNANCHORED = `CREATE INDEX records_unanchored ON records (received_at) WHERE anchor_batch IS NULL;`;

interface Layout {
  readonly name: string;
  readonly narrow: boolean;
  readonly withoutRowid: boolean;
  readonly indexes: string;
}

const LAYOUTS: Layout[] = [
  {
    name: 'today: text columns, WITHOUT ROWID, 4 full-width + 4 partial',
    narrow: false,
    withoutRowid: true,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time, seq); CREATE INDEX b ON records (gateway, record_time, seq);
      CREATE INDEX c ON records (record_time, gateway, seq); ${UNANCHORED} ${ANCHORED} ${ALARM("'alarm'")}`,
  },
  {
    name: 'narrow, WITHOUT ROWID, same indexes',
    narrow: true,
    withoutRowid: true,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time, seq); CREATE INDEX b ON records (gateway, record_time, seq);
      CREATE INDEX c ON records (record_time, gateway, seq); ${UNANCHORED} ${ANCHORED} ${ALARM('1')}`,
  },
  {
    name: 'narrow, WITHOUT ROWID, series + time, unanchored, partials',
    narrow: true,
    withoutRowid: true,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time); CREATE INDEX c ON records (record_time, gateway); ${UNANCHORED} ${ANCHORED} ${ALARM('1')}`,
  },
  {
    name: 'narrow, WITHOUT ROWID, gateway_time + time, unanchored, partials',
    narrow: true,
    withoutRowid: true,
    indexes: `CREATE INDEX b ON records (gateway, record_time); CREATE INDEX c ON records (record_time, gateway); ${UNANCHORED} ${ANCHORED} ${ALARM('1')}`,
  },
  {
    name: 'narrow, WITHOUT ROWID, series + time, partials, no unanchored',
    narrow: true,
    withoutRowid: true,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time); CREATE INDEX c ON records (record_time, gateway); ${ANCHORED} ${ALARM('1')}`,
  },
  {
    name: 'narrow, rowid, series + time, partials, no unanchored',
    narrow: true,
    withoutRowid: false,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time); CREATE INDEX c ON records (record_time, gateway); ${ANCHORED} ${ALARM('1')}`,
  },
  {
    name: 'narrow, WITHOUT ROWID, series + gateway_time, partials, no unanchored',
    narrow: true,
    withoutRowid: true,
    indexes: `CREATE INDEX a ON records (gateway, device, channel, record_time); CREATE INDEX b ON records (gateway, record_time); ${ANCHORED} ${ALARM('1')}`,
  },
  { name: 'narrow, WITHOUT ROWID, primary key only', narrow: true, withoutRowid: true, indexes: '' },
];

function batches(narrow: boolean): unknown[][][] {
  const readings = realisticRecords(Math.ceil(BATCHES * PER_BATCH * 1.01))
    .filter((r) => r.kind === 'reading')
    .sort((a, b) => a.seq - b.seq);
  const now = Date.now();
  const out: unknown[][][] = [];
  for (let b = 0; b < BATCHES; b++) {
    for (let g = 0; g < GATEWAYS; g++) {
      const gateway = `gw-${String(g).padStart(3, '0')}`;
      out.push(
        readings.slice(b * PER_BATCH, (b + 1) * PER_BATCH).map((r) => {
          const hash = recordHash(gateway, r);
          return [
            gateway,
            r.seq,
            narrow ? kindCode(r.kind) : r.kind,
            r.device,
            r.channel,
            r.value ?? null,
            r.unit,
            narrow ? qualityCode(r.quality) : r.quality,
            r.exception ?? null,
            r.ts,
            null,
            r.mono,
            r.bootId,
            r.priority,
            r.flags,
            null,
            now,
            narrow ? hashBytes(hash) : hash,
          ];
        }),
      );
    }
  }
  return out;
}

function run(layout: Layout, data: unknown[][][]): { rate: number; cpuUs: number; bytes: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-layout-'));
  try {
    const db = new Sqlite(path.join(dir, 'r.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(table(layout.narrow, layout.withoutRowid) + layout.indexes);
    const insert = db.prepare(
      `INSERT INTO records (${COLUMNS}) VALUES (${COLUMNS.split(',')
        .map(() => '?')
        .join(', ')}) ON CONFLICT (gateway, seq) DO NOTHING`,
    );
    const write = db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    let n = 0;
    for (const batch of data) {
      write(batch);
      n += batch.length;
    }
    const rate = n / ((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / n;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = (db.prepare('PRAGMA page_count').pluck().get() as number) * (db.prepare('PRAGMA page_size').pluck().get() as number);
    db.close();
    return { rate, cpuUs, bytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

out(machineLine());
out(
  `load average at start: ${os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(', ')}`,
);
const text = batches(false);
const narrow = batches(true);
/** Rounds over all layouts: the best of them per layout, so a burst of other load on the machine shows less. */
const ROUNDS = Number(process.env['ROUNDS'] ?? 2);
const best = new Map<Layout, { rate: number; cpuUs: number; bytes: number }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const layout of LAYOUTS) {
    const r = run(layout, layout.narrow ? narrow : text);
    const b = best.get(layout);
    best.set(layout, b === undefined ? r : { rate: Math.max(b.rate, r.rate), cpuUs: Math.min(b.cpuUs, r.cpuUs), bytes: r.bytes });
  }
}
// CPU per row is the figure to compare: the relay does this work on its one JS thread, and it moves
// less than rows/s (fsync latency) when other load shares the disk and the cores.
for (const [layout, { rate, cpuUs, bytes }] of best) {
  out(`  ${layout.name}: ${fmt(cpuUs, 2)} µs CPU per row, ${fmt(rate)} rows/s (best of ${ROUNDS}), file ${fmt(bytes / 2 ** 20, 1)} MiB`);
}
