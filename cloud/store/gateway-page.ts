/**
 * A page of one gateway's records without a channel filter, on SQLite's records v2 (issue 18 §3,
 * migrations-records-v2.ts), which keeps no (gateway, record_time) index: the page is merged from
 * the gateway's channels' series instead, each an ordered range of records_channel_time.
 *
 * 1. The gateway's (device, channel) pairs, one index seek each (a skip scan written as a recursive
 *    query: SQLite does not skip on its own).
 * 2. Per pair, the keys (record_time, seq) of the first limit + 1 records after the cursor, off the
 *    index alone.
 * 3. The smallest limit + 1 keys of all pairs, then those rows by primary key, in key order.
 *
 * A page costs (pairs × (limit + 1)) index entries and limit + 1 row reads, whatever the other
 * gateways hold; a walk of records_time checking the gateway on each entry cost limit ÷ the
 * gateway's share of all records (140 ms for a page among 1,000 gateways). All of it runs in one
 * transaction, so the pairs, keys and rows come from one snapshot.
 */
import { recordQuerySql } from './cursor.ts';
import { RECORD_COLUMNS, type RecordRow } from './rows.ts';
import type { SqlExecutor } from './sql-executor.ts';
import type { ReadingsQuery } from './types.ts';

/**
 * The pair after (c.device, c.channel): the next channel of the same device, else the first of the
 * next device. Each arm is a seek into records_channel_time that lands on its first entry (a
 * row-value bound `(device, channel) > (…)` would start at the device and step over every record
 * of its earlier channels).
 */
function next(column: 'device' | 'channel', byDevice: boolean): string {
  const sameDevice = `SELECT device, channel FROM records WHERE gateway = $1 AND device = c.device AND channel > c.channel ORDER BY channel LIMIT 1`;
  const nextDevice = `SELECT device, channel FROM records WHERE gateway = $1 AND device > c.device ORDER BY device, channel LIMIT 1`;
  const arms = byDevice ? `SELECT * FROM (${sameDevice})` : `SELECT * FROM (${sameDevice}) UNION ALL SELECT * FROM (${nextDevice})`;
  return `(SELECT ${column} FROM (${arms}) LIMIT 1)`;
}

/** The gateway's (device, channel) pairs in order; `$2` the device in the device's variant. */
function pairsSql(byDevice: boolean): string {
  const filter = byDevice ? ' AND device = $2' : '';
  return `WITH RECURSIVE c(device, channel) AS (
      SELECT * FROM (SELECT device, channel FROM records WHERE gateway = $1${filter} ORDER BY device, channel LIMIT 1)
      UNION ALL
      SELECT ${next('device', byDevice)}, ${next('channel', byDevice)} FROM c WHERE c.device IS NOT NULL
    ) SELECT device, channel FROM c WHERE device IS NOT NULL`;
}

export const GATEWAY_PAGE_SQL = {
  pairs: pairsSql(false),
  devicePairs: pairsSql(true),
  row: `SELECT ${RECORD_COLUMNS} FROM records WHERE gateway = $1 AND seq = $2`,
} as const;

/** Whether SQLite answers `query` by merging channel series (a gateway, no single series, not its alarms: those have an index). */
export function mergesChannels(query: ReadingsQuery): boolean {
  return query.gateway !== undefined && !(query.device !== undefined && query.channel !== undefined) && query.kind !== 'alarm';
}

interface Key {
  readonly t: number;
  readonly seq: number;
}

const placeholder = (n: number): string => `$${n}`;

/** Up to limit + 1 rows of the page in (record_time, seq) order, as recordQuerySql's SELECT would return them. */
export async function gatewayPage(db: SqlExecutor, query: ReadingsQuery): Promise<RecordRow[]> {
  const gateway = query.gateway as string;
  return db.transaction('gateway page', async (q, many) => {
    const pairs = (
      query.device === undefined
        ? await q<{ device: string; channel: string }>(GATEWAY_PAGE_SQL.pairs, [gateway])
        : await q<{ device: string; channel: string }>(GATEWAY_PAGE_SQL.devicePairs, [gateway, query.device])
    ).rows.filter((p) => query.channel === undefined || p.channel === query.channel);
    const keys: Key[] = [];
    for (const pair of pairs) {
      const { sql, params } = recordQuerySql({ ...query, device: pair.device, channel: pair.channel }, placeholder, 'sqlite', 'record_time AS t, seq');
      keys.push(...(await q<Key>(sql, params)).rows);
    }
    keys.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const page = keys.slice(0, query.limit + 1);
    const rows = await many<RecordRow>(
      GATEWAY_PAGE_SQL.row,
      page.map((k) => [gateway, k.seq]),
    );
    return rows.map((r) => r.rows[0]).filter((r): r is RecordRow => r !== undefined);
  });
}
