/**
 * `COPY … FROM STDIN` (text format) on a pg connection: the fastest way PostgreSQL takes rows,
 * measured at about twice an INSERT of unnest()ed arrays into the relay's `records` (issue 18,
 * test/bench/relay.ts). pg-copy-streams is no dependency of ours; this is the whole of what the
 * relay needs of it: one COPY of one in-memory text, answered with the rows copied.
 */
import type { ClientBase } from 'pg';

/** What pg's connection offers a submittable during COPY FROM STDIN. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * Runs `sql` (a `COPY … FROM STDIN`) with `text` as its data; resolves with the row count of the
 * CommandComplete. A server error (a unique violation, say) rejects with pg's DatabaseError, its
 * SQLSTATE in `code`; pg then forgets the query, so the rejection happens in handleError.
 */
export function copyFrom(client: ClientBase, sql: string, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const submittable = {
      submit(connection: CopyConnection): void {
        connection.query(sql);
      },
      handleCopyInResponse(connection: CopyConnection): void {
        connection.sendCopyFromChunk(Buffer.from(text, 'utf8'));
        connection.endCopyFrom();
      },
      handleCommandComplete(message: { text: string }): void {
        count = Number(/\d+$/.exec(message.text)?.[0] ?? 0);
      },
      handleError(err: unknown): void {
        reject(err);
      },
      handleReadyForQuery(): void {
        resolve(count);
      },
    };
    client.query(submittable as unknown as Parameters<ClientBase['query']>[0]);
  });
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field of COPY's text format: `\N` for NULL; backslash, tab, newline and CR escaped. */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string) : value;
}
