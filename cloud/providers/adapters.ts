/** The page fetchers of the pull sources: Tago (tago.ts) and the generic HTTP pull (http-rows.ts). */
import type { HttpSourceConfig, TagoSourceConfig } from './config.ts';
import { SOURCE_PULL_MALFORMED, sourceError } from './errors.ts';
import { getText } from './fetch.ts';
import { parseHttpRows } from './http-rows.ts';
import type { FetchPage } from './pull.ts';
import { decodeTagoCursor, parseTagoPage, tagoUrl } from './tago.ts';

export function tagoFetcher(cfg: TagoSourceConfig, token: string): FetchPage {
  return async (text) => {
    const cursor = decodeTagoCursor(text);
    const body = await getText(tagoUrl(cfg, cursor), { 'device-token': token, accept: 'application/json' }, cfg.timeoutMs);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (err) {
      throw sourceError(SOURCE_PULL_MALFORMED, 'Tago answer is not JSON', { cause: err });
    }
    const page = parseTagoPage(doc, cfg, cursor);
    return { ...page, cursor: JSON.stringify(page.cursor) };
  };
}

/**
 * One request per pull: the generic endpoint has no pagination we could know of. The cursor is the
 * newest row time committed (ms, as text), sent less 1 ms as ISO 8601 UTC in cursorParam when
 * configured: the rows at that time come back whether the endpoint compares with > or >=.
 */
export function httpFetcher(cfg: HttpSourceConfig, secret: string | undefined): FetchPage {
  return async (text) => {
    const url = new URL(cfg.url);
    const since = text === null ? undefined : Number(text);
    if (cfg.cursorParam !== undefined && since !== undefined && Number.isFinite(since))
      url.searchParams.set(cfg.cursorParam, new Date(since - 1).toISOString());
    const headers: Record<string, string> = { accept: cfg.format === 'csv' ? 'text/csv' : 'application/json' };
    if (cfg.authHeader !== undefined && secret !== undefined) headers[cfg.authHeader.toLowerCase()] = secret;
    const rows = parseHttpRows(await getText(url.toString(), headers, cfg.timeoutMs), cfg);
    const newest = Math.max(since ?? 0, rows.newest ?? 0);
    return { messages: rows.messages, problems: rows.problems, cursor: String(newest), more: false };
  };
}
