/**
 * `atalaya relay export readings|volumes …`: machine CSV files (RFC 4180, ISO 8601 UTC times, dot
 * decimals; cloud/dga/csv.ts) of stored readings and of an obra's extracted volumes, for any period.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { readingCsvLine, readingsCsvHeader, volumesCsv } from '../cloud/dga/csv.ts';
import { VolumeService } from '../cloud/dga/volumes.ts';
import { VOLUME_GRANULARITIES, type VolumeGranularity } from '../protocols/dga/index.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { withRelayDatabase } from './relay-database.ts';

export const EXPORT_HELP = `atalaya relay export readings [--gateway ID] [--device NAME] [--channel NAME] --from T --to T [--out FILE]
atalaya relay export volumes <obra> --from T --to T [--granularity day|month|year] [--out FILE]

CSV (RFC 4180, CRLF, ISO 8601 UTC times, dot decimals) on stdout or into --out FILE. T: epoch ms
or ISO 8601 with an offset (2026-01-01T00:00:00-04:00). Volume periods are days, months or years
on DGA's fixed UTC-4 clock (docs/dga.md#water-rights-and-volumes).
`;

export interface ExportInput {
  readonly what: string | undefined;
  readonly args: readonly string[];
  readonly gateway?: string | undefined;
  readonly device?: string | undefined;
  readonly channel?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly granularity?: string | undefined;
  readonly out?: string | undefined;
}

const PAGE = 10_000;

export function instant(name: string, text: string | undefined): number | Error {
  if (text === undefined) return new Error(`--${name} is required`);
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isFinite(ms) ? ms : new Error(`--${name}: expected epoch ms or ISO 8601 with an offset, got '${text}'`);
}

async function write(out: string | undefined, produce: (w: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const stream: Writable = out === undefined ? process.stdout : createWriteStream(out, { flags: 'wx' });
  const w = (text: string): Promise<void> => (stream.write(text) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => resolve())));
  await produce(w);
  if (out !== undefined) {
    stream.end();
    await finished(stream);
  }
}

export async function exportCommand(input: ExportInput, config: RelayConfig): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`atalaya relay export: ${message}\n`);
    return code;
  };
  const from = instant('from', input.from);
  const to = instant('to', input.to);
  if (from instanceof Error) return fail(from.message);
  if (to instanceof Error) return fail(to.message);
  if (from >= to) return fail('--from must be before --to');
  try {
    switch (input.what) {
      case 'readings': {
        if (input.args.length > 0) return fail(`unexpected '${input.args.join(' ')}'`);
        let rows = 0;
        await withRelayDatabase(config.storage, ({ records }) =>
          write(input.out, async (w) => {
            await w(readingsCsvHeader());
            let cursor: string | undefined;
            do {
              const page = await records.queryRecords({
                from,
                to,
                limit: PAGE,
                ...(input.gateway === undefined ? {} : { gateway: input.gateway }),
                ...(input.device === undefined ? {} : { device: input.device }),
                ...(input.channel === undefined ? {} : { channel: input.channel }),
                ...(cursor === undefined ? {} : { cursor }),
              });
              let chunk = '';
              for (const r of page.items) chunk += readingCsvLine(r);
              rows += page.items.length;
              await w(chunk);
              cursor = page.next ?? undefined;
            } while (cursor !== undefined);
          }),
        );
        if (input.out !== undefined) process.stderr.write(`${rows} reading(s) written to ${input.out}\n`);
        return 0;
      }
      case 'volumes': {
        const [obra, ...extra] = input.args;
        if (obra === undefined || extra.length > 0) return fail('expected volumes <obra>');
        const granularity = (input.granularity ?? 'day') as VolumeGranularity;
        if (!VOLUME_GRANULARITIES.includes(granularity)) return fail(`--granularity: expected day, month or year, got '${input.granularity}'`);
        const result = await withRelayDatabase(config.storage, ({ records }) =>
          new VolumeService({ config: config.dga, records }).volumes(obra, { from, to, granularity }),
        );
        await write(input.out, (w) => w(volumesCsv(result)));
        return 0;
      }
      default:
        return fail(`expected readings or volumes\n\n${EXPORT_HELP}`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fail(`${input.out} exists: an export never overwrites a file`, 1);
    if (!isAtalayaError(err)) throw err;
    return fail(`${err.message} (${err.code})`, 1);
  }
}
