/**
 * Tago.io device data pull (issue 17 §3): `GET <url>/data` with the device's token in
 * `Device-Token`, the mapped variables, `qty` = pageSize, `ordination=ascending`, `start_date` =
 * the committed cursor and `skip`. Each Tago record `{ id, variable, value, unit, time }` is one
 * source message (id `tago:<id>`), so a page fetched twice (a crash between fetch and commit) is
 * stored once. README.md lists the fields relied on.
 *
 * Cursor `{"since": ms, "skip": n}`: the time of the newest record committed, asked again from
 * (start_date = since − 1 ms; what comes back twice the message ids absorb), and how many records AT
 * that time to skip, which only grows when a whole page shares one time (else the pull would ask
 * for the same page forever).
 */
import type { SourceMessage, SourceProblem } from '../store/sources-types.ts';
import type { TagoSourceConfig } from './config.ts';
import { SOURCE_PULL_MALFORMED, sourceError } from './errors.ts';
import { fieldRecord, isoMs } from './fields.ts';
import type { PullPage } from './pull.ts';

export interface TagoCursor {
  readonly since: number;
  readonly skip: number;
}

export function decodeTagoCursor(text: string | null): TagoCursor {
  if (text === null) return { since: 0, skip: 0 };
  const c = JSON.parse(text) as Partial<TagoCursor>;
  return { since: Number(c.since) || 0, skip: Number(c.skip) || 0 };
}

/** The page request's URL for `cursor`. */
export function tagoUrl(cfg: TagoSourceConfig, cursor: TagoCursor): string {
  const url = new URL('data', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
  for (const v of Object.keys(cfg.variables)) url.searchParams.append('variables', v);
  url.searchParams.set('qty', String(cfg.pageSize));
  url.searchParams.set('skip', String(cursor.skip));
  url.searchParams.set('ordination', 'ascending');
  // 1 ms before the cursor: the records AT its time come back whether the API reads start_date as
  // inclusive or exclusive (a page boundary often splits the variables of one time).
  if (cursor.since > 0) url.searchParams.set('start_date', new Date(cursor.since - 1).toISOString());
  return url.toString();
}

/** One answer of /data → messages, problems, the next cursor and whether more pages wait. */
export function parseTagoPage(body: unknown, cfg: TagoSourceConfig, cursor: TagoCursor): PullPage<TagoCursor> {
  const result = (body as { result?: unknown } | null)?.result;
  if (!Array.isArray(result)) throw sourceError(SOURCE_PULL_MALFORMED, 'Tago answer without a result array');
  const messages: SourceMessage[] = [];
  const problems: SourceProblem[] = [];
  let newest = cursor.since;
  for (const item of result as Array<Record<string, unknown>>) {
    const id = item?.['id'];
    const variable = item?.['variable'];
    const ts = isoMs(item?.['time']);
    if (typeof id !== 'string' || typeof variable !== 'string') {
      problems.push({ reason: 'malformed', detail: 'record without id or variable' });
      continue;
    }
    if (ts === undefined) {
      problems.push({ reason: 'bad_time', detail: `${id}: time` });
      continue;
    }
    newest = Math.max(newest, ts);
    const map = cfg.variables[variable];
    if (map === undefined) continue;
    const made = fieldRecord(item['value'], map, { device: cfg.device, ts, field: variable });
    messages.push({ id: `tago:${id}`, at: ts, records: 'record' in made ? [made.record] : [] });
    if ('problem' in made) problems.push(made.problem);
  }
  // Only a page wholly at the cursor's time skips; otherwise the next asks from the newest time again.
  const next = newest === cursor.since ? { since: newest, skip: cursor.skip + result.length } : { since: newest, skip: 0 };
  return { messages, problems, cursor: next, more: result.length >= cfg.pageSize };
}
