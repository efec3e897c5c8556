import type { RelayRecord, RelayStore } from './types.ts';

export interface PagedLocallyQuery {
  readonly gateway: string;
  readonly device: string;
  readonly channel: string;
  readonly rule: string;
  /** Seq of the alarm transition (the raised or cleared record). */
  readonly seq: number;
  /** The transition's record time (tsCorrected ?? ts), ms: the note is never older. */
  readonly since: number;
}

/** Alarm records of one channel read per page, and pages read at most, before giving up (a note follows its transition within hours). */
const PAGE = 500;
const MAX_PAGES = 20;

/**
 * Whether the gateway paged alarm transition `seq` itself while the uplink was down (issue 13 §7):
 * the `paged` alarm record it appends after paging (protocols/records.ts, docs/formats.md#paged-alarm-records)
 * names the transition's seq in its value. Returns that record (its ts is when the page went out,
 * its unit the channels), or undefined: then the relay's alerts page as usual. Read through
 * queryRecords, so it works on SQLite and PostgreSQL alike.
 */
export async function pagedLocally(store: Pick<RelayStore, 'queryRecords'>, q: PagedLocallyQuery): Promise<RelayRecord | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, next } = await store.queryRecords({
      gateway: q.gateway,
      device: q.device,
      channel: q.channel,
      kind: 'alarm',
      from: q.since,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const found = items.find((r) => r.alarm?.state === 'paged' && r.alarm.rule === q.rule && r.value === q.seq);
    if (found !== undefined) return found;
    if (next === null) return undefined;
    cursor = next;
  }
  return undefined;
}
