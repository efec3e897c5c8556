import type { NewRecord } from '../../protocols/records.ts';
import { encodeAlarm, KIND_CODE, LEVEL_CODE, QUALITY_CODE, STATE_CODE } from './codec.ts';
import type { NameTable } from './names.ts';
import type { Statements } from './statements.ts';
import { INSERT_ROWS } from './statements.ts';

/** Parameters of one inserted row (statements.ts STORED). */
const COLUMNS = 13;

/** (device id, channel id) → one number, for the per-commit "latest" map; ids stay far below 2^21. */
const CHANNEL_ID_SPAN = 0x200000;

/** The device seq an MQTT ingest message carried, stored with its records (see migrations.ts device_seq). */
export interface DeviceSeqMark {
  /** `<device>/<telemetry|alarm>`. */
  readonly stream: string;
  readonly seq: number;
}

/** Device seqs of one group commit, in append order: for a stream the last one wins. */
export function writeDeviceSeqs(statements: Statements, marks: readonly DeviceSeqMark[]): void {
  if (marks.length === 1) {
    const only = marks[0] as DeviceSeqMark;
    statements.upsertDeviceSeq.run(only.stream, only.seq);
    return;
  }
  // One upsert per stream, not per message: a QoS 1 client's whole in-flight window is often in
  // one commit (issue 18: the upserts were a third of the commit's time).
  const last = new Map<string, number>();
  for (const mark of marks) last.set(mark.stream, mark.seq);
  for (const [stream, seq] of last) statements.upsertDeviceSeq.run(stream, seq);
}

/**
 * What one group commit writes; runs inside its IMMEDIATE transaction, so the rows, the seq counter,
 * `latest` and `alarm_state` are committed together or not at all. Records were checked at append()
 * (codec.ts checkRecords): an alarm record has its detail, a reading has none.
 */
export function writeRecords(statements: Statements, names: NameTable, records: readonly NewRecord[], firstSeq: number): void {
  const { insert, insertMany, upsertLatest, upsertAlarmState } = statements;
  const latest = new Map<number, number>();
  // Rows waiting for a multi-row insert, per priority (table): flat, COLUMNS values a row.
  const pending: [unknown[], unknown[], unknown[]] = [[], [], []];
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as NewRecord;
    const seq = firstSeq + i;
    const device = names.id(r.device);
    const channel = names.id(r.channel);
    const { alarm } = r;
    const rows = pending[r.priority];
    rows.push(
      seq,
      KIND_CODE[r.kind],
      device,
      channel,
      r.value,
      names.id(r.unit),
      QUALITY_CODE[r.quality],
      r.exception,
      r.ts,
      r.mono,
      names.id(r.bootId),
      r.flags,
      alarm === undefined ? null : encodeAlarm(alarm),
    );
    if (rows.length === INSERT_ROWS * COLUMNS) {
      insertMany[r.priority].run(rows);
      rows.length = 0;
    }
    // A `paged` record notes local paging (agent/paging), not a transition: the rule's state stays.
    if (alarm !== undefined && alarm.state !== 'paged') {
      // Alarm transitions are rare: one upsert each, in seq order, the last one wins.
      upsertAlarmState.run(device, channel, names.id(alarm.rule), LEVEL_CODE[alarm.level], STATE_CODE[alarm.state], alarm.threshold, r.value, r.ts, seq);
    }
    if (r.kind === 'reading') latest.set(device * CHANNEL_ID_SPAN + channel, i);
  }
  // What is left of each table goes row by row (fewer than INSERT_ROWS each).
  for (let priority = 0; priority < pending.length; priority++) {
    const rows = pending[priority] as unknown[];
    const statement = insert[priority as 0 | 1 | 2];
    for (let at = 0; at < rows.length; at += COLUMNS) statement.run(...(rows.slice(at, at + COLUMNS) as Parameters<typeof statement.run>));
  }
  statements.setNextSeq.run(firstSeq + records.length);
  for (const i of latest.values()) {
    const r = records[i] as NewRecord;
    upsertLatest.run(
      firstSeq + i,
      KIND_CODE[r.kind],
      names.id(r.device),
      names.id(r.channel),
      r.value,
      names.id(r.unit),
      QUALITY_CODE[r.quality],
      r.exception,
      r.ts,
      r.mono,
      names.id(r.bootId),
      r.priority,
      r.flags,
    );
  }
}
