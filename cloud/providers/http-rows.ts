/**
 * The generic HTTP pull's rows (issue 17 §4): a JSON document (rows picked with the JSONPath
 * subset of protocols/json-select.ts) or a CSV with a header row (protocols/csv.ts), each row one
 * source message. A row whose time cannot be read, or a CSV row with the wrong number of cells, is
 * a `bad_row` (counted, reported with its number); the other rows are kept. Pure.
 */
import { createHash } from 'node:crypto';
import { parseCsv } from '../../protocols/csv.ts';
import { type PathStep, parseJsonPath, selectJson, selectOne } from '../../protocols/json-select.ts';
import { parseLocalTime } from '../../protocols/zoned-time.ts';
import type { SourceMessage, SourceProblem } from '../store/sources-types.ts';
import type { HttpSourceConfig } from './config.ts';
import { SOURCE_PULL_MALFORMED, sourceError } from './errors.ts';
import { fieldRecord, isoMs, numeric, type SourceRecord } from './fields.ts';

export interface HttpRows {
  readonly messages: SourceMessage[];
  readonly problems: SourceProblem[];
  /** Newest row time among the rows kept, ms; undefined when none. */
  readonly newest: number | undefined;
}

/** A row's time by the source's timeFormat; undefined when it cannot be read. */
export function rowTime(raw: unknown, cfg: Pick<HttpSourceConfig, 'timeFormat' | 'timeZone'>): number | undefined {
  switch (cfg.timeFormat) {
    case 'iso':
      return isoMs(raw);
    case 'epoch-ms':
    case 'epoch-s': {
      const n = numeric(raw);
      if (n === undefined) return undefined;
      const ms = Math.round(cfg.timeFormat === 'epoch-s' ? n * 1000 : n);
      return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
    }
    case 'local':
      return typeof raw === 'string' ? parseLocalTime(raw, cfg.timeZone) : undefined;
    default: {
      const never: never = cfg.timeFormat;
      return never;
    }
  }
}

const steps = (path: string): readonly PathStep[] => {
  const parsed = parseJsonPath(path);
  return parsed.ok ? parsed.steps : [];
};

/** A row seen through one accessor: JSON paths or CSV columns. */
type Get = (key: string) => unknown;

function rowMessage(get: Get, cfg: HttpSourceConfig, fallbackId: string, label: string, out: HttpRows & { newest: number | undefined }): number | undefined {
  const ts = rowTime(get(cfg.time), cfg);
  if (ts === undefined) {
    out.problems.push({ reason: 'bad_row', detail: `${label}: time` });
    return undefined;
  }
  const isRef = cfg.device.startsWith('$') || cfg.device.startsWith('col:');
  const deviceRaw = isRef ? get(cfg.device.startsWith('col:') ? cfg.device.slice(4) : cfg.device) : cfg.device;
  if (typeof deviceRaw !== 'string' || deviceRaw === '' || deviceRaw.length > 128) {
    out.problems.push({ reason: 'bad_row', detail: `${label}: device` });
    return undefined;
  }
  const records: SourceRecord[] = [];
  for (const [field, map] of Object.entries(cfg.fields)) {
    const made = fieldRecord(get(field), map, { device: deviceRaw, ts, field });
    if ('record' in made) records.push(made.record);
    else out.problems.push(made.problem);
  }
  const ownId = cfg.idField === undefined ? undefined : get(cfg.idField);
  const id = typeof ownId === 'string' || typeof ownId === 'number' ? `id:${ownId}` : `sha256:${fallbackId}`;
  out.messages.push({ id, at: ts, records });
  return ts;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function parseHttpRows(text: string, cfg: HttpSourceConfig): HttpRows {
  const out: HttpRows & { newest: number | undefined } = { messages: [], problems: [], newest: undefined };
  const keep = (ts: number | undefined): void => {
    if (ts !== undefined) out.newest = Math.max(out.newest ?? ts, ts);
  };
  if (cfg.format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw sourceError(SOURCE_PULL_MALFORMED, 'the answer is not JSON', { cause: err });
    }
    selectJson(doc, steps(cfg.items)).forEach((item, i) => {
      const get: Get = (path) => selectOne(item, steps(path));
      keep(rowMessage(get, cfg, sha256(JSON.stringify(item)), `row ${i + 1}`, out));
    });
    return out;
  }
  const rows = parseCsv(text);
  const header = rows[0];
  if (header === undefined) return out;
  const columns = new Map(header.map((name, i) => [name.trim(), i]));
  rows.slice(1).forEach((cells, i) => {
    // Line i + 2: the header is line 1. A blank line is no row.
    if (cells.length === 1 && cells[0] === '') return;
    const label = `line ${i + 2}`;
    if (cells.length !== header.length) {
      out.problems.push({ reason: 'bad_row', detail: `${label}: ${cells.length} cells, the header has ${header.length}` });
      return;
    }
    const get: Get = (name) => {
      const c = columns.get(name);
      return c === undefined ? undefined : cells[c];
    };
    keep(rowMessage(get, cfg, sha256(cells.join('\u001f')), label, out));
  });
  return out;
}
