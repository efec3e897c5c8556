/**
 * decodeBatch's exact path (batch.ts): the parsed wire's columns checked for their types, then
 * the records rebuilt and each passed through the record check, every problem thrown as
 * ATALAYA_SYNC_MALFORMED naming the first one (`cols.ts[3]`, `records[7].unit`, `tables.device[2]`).
 * rebuildFast (batch-fast.ts) accepts only what this accepts, with the same records; when it
 * says no, this runs and says why.
 */
import type { AlarmDetail, StoredRecord } from '../records.ts';
import { checkRecord, SeqOrder } from './batch-checks.ts';
import {
  COLUMNS,
  type ColumnName,
  fromWire,
  KIND_CODES,
  LEVEL_CODES,
  QUALITY_CODES,
  STATE_CODES,
  TABLES,
  type TableName,
  type Wire,
  type WireCols,
} from './batch-wire.ts';
import { malformed } from './errors.ts';
import type { SyncBatch } from './types.ts';

/** The batch of a parsed wire (wireSchema), or ATALAYA_SYNC_MALFORMED for its first problem. */
export function rebuildExact(wire: ParsedWire): SyncBatch {
  return rebuild({ ...wire, cols: checkColumns(wire.cols, wire.n) });
}

/** What wireSchema makes of a body: columns are arrays of anything yet. */
export type ParsedWire = Omit<Wire, 'cols'> & { readonly cols: Readonly<Record<ColumnName, unknown[]>> };

/** Lengths and element types of the columns, reported as `cols.<name>[i]`. */
function checkColumns(cols: Readonly<Record<ColumnName, unknown[]>>, n: number): WireCols {
  for (const [name, [valid, expected]] of Object.entries(COLUMNS)) {
    const entries = cols[name as ColumnName];
    if (entries.length !== n) throw malformed(`cols.${name}: ${entries.length} entries for n = ${n}`);
    for (let i = 0; i < n; i++) if (!valid(entries[i])) throw malformed(`cols.${name}[${i}]: ${expected}`);
  }
  return cols as WireCols;
}

/** A string table: entries resolved by index, uses counted (the record check judges the strings). */
interface Table {
  get(at: number, record: number, field: string): string;
  /** Index of the first entry no record used, or -1. */
  firstUnused(): number;
}

function openTable(wire: Wire, name: TableName): Table {
  const entries = wire.tables[name];
  if (new Set(entries).size !== entries.length) throw malformed(`tables.${name}: duplicate entries`);
  const used = new Uint8Array(entries.length);
  return {
    get(at, record, field) {
      const s = entries[at];
      if (s === undefined) throw malformed(`records[${record}].${field}: index ${at} outside tables.${name} (${entries.length} entries)`);
      used[at] = 1;
      return s;
    },
    firstUnused: () => used.indexOf(0),
  };
}

/**
 * Records from checked columns: indexes and codes resolved, then each record through the same
 * check encodeBatch applies (batch-checks.ts): strings, ranges, alarm detail, seq order.
 */
function rebuild(wire: Wire): SyncBatch {
  const { n, cols } = wire;
  const tables = {
    device: openTable(wire, 'device'),
    channel: openTable(wire, 'channel'),
    unit: openTable(wire, 'unit'),
    bootId: openTable(wire, 'bootId'),
    rule: openTable(wire, 'rule'),
  };
  const details = alarmDetails(wire, tables.rule);
  const records: StoredRecord[] = [];
  const order = new SeqOrder();
  let nextDetail = 0;
  let seq = 0;
  let ts = 0;
  let mono = 0;
  for (let i = 0; i < n; i++) {
    seq += cols.seq[i]!;
    ts += cols.ts[i]!;
    mono += cols.mono[i]!;
    let record: StoredRecord = {
      seq,
      kind: code(KIND_CODES, cols.kind[i]!, i, 'kind'),
      device: tables.device.get(cols.device[i]!, i, 'device'),
      channel: tables.channel.get(cols.channel[i]!, i, 'channel'),
      value: fromWire(cols.value[i]!),
      unit: tables.unit.get(cols.unit[i]!, i, 'unit'),
      quality: code(QUALITY_CODES, cols.quality[i]!, i, 'quality'),
      exception: cols.exception[i]!,
      ts,
      mono,
      bootId: tables.bootId.get(cols.bootId[i]!, i, 'bootId'),
      // Checked against 0 | 1 | 2 by checkRecord.
      priority: cols.priority[i]! as StoredRecord['priority'],
      flags: cols.flags[i]!,
    };
    const detail = details[nextDetail];
    if (detail !== undefined && detail.record === i) {
      record = { ...record, alarm: detail.alarm };
      nextDetail++;
    }
    checkRecord(record, i);
    order.check(record, i);
    records.push(record);
  }
  for (const t of TABLES) {
    const unused = tables[t].firstUnused();
    if (unused !== -1) throw malformed(`tables.${t}[${unused}]: not used by any record`);
  }
  return { gateway: wire.gateway, sentAt: wire.sentAt, mono: wire.mono, bootId: wire.bootId, clockSynced: wire.clockSynced, records };
}

/** The alarm details in ascending record index, their rule, level and state resolved. */
function alarmDetails(wire: Wire, rules: Table): Array<{ readonly record: number; readonly alarm: AlarmDetail }> {
  let previous = -1;
  return wire.alarms.map(([i, ruleAt, level, state, threshold], k) => {
    if (i <= previous || i >= wire.n) throw malformed(`alarms[${k}][0]: record index ${i} not ascending within 0..${wire.n - 1}`);
    previous = i;
    const alarm: AlarmDetail = {
      rule: rules.get(ruleAt, i, 'alarm.rule'),
      level: code(LEVEL_CODES, level, i, 'alarm.level'),
      state: code(STATE_CODES, state, i, 'alarm.state'),
      threshold: fromWire(threshold),
    };
    return { record: i, alarm };
  });
}

function code<T extends string>(codes: readonly T[], at: number, record: number, field: string): T {
  const value = codes[at];
  if (value === undefined) throw malformed(`records[${record}].${field}: code ${at} is not one of 0..${codes.length - 1} (${codes.join(', ')})`);
  return value;
}
