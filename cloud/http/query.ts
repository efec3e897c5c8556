import { z } from 'zod';
import { problemsFromZod } from '../../protocols/config-errors.ts';
import { RECORD_KINDS } from '../../protocols/records.ts';
import type { ReadingsQuery } from '../store/types.ts';
import { invalidQuery } from './errors.ts';

/** Epoch ms (digits) or an ISO 8601 date-time with an offset (`2025-03-01T12:00:00Z`). */
export const instant = z.union(
  [
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  ],
  { error: 'epoch ms or an ISO 8601 date-time with an offset, e.g. 2025-03-01T12:00:00Z' },
);

const name = z.string().min(1).max(128);

export const readingsQuerySchema = z
  .strictObject({
    gateway: name.optional(),
    device: name.optional(),
    channel: name.optional(),
    kind: z.enum(RECORD_KINDS).optional(),
    from: instant.optional().describe('Inclusive lower bound on the record time (tsCorrected when set, else ts)'),
    to: instant.optional().describe('Exclusive upper bound on the record time'),
    limit: z
      .string()
      .regex(/^\d{1,5}$/, 'an integer 1..10000')
      .transform(Number)
      .pipe(z.number().min(1).max(10_000))
      .default(100),
    cursor: z.string().min(1).max(1024).optional().describe('`next` of the previous page'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] });

export const limitQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'an integer 1..1000')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .default(100),
});

/** Query string → typed query, or 400 invalid_query listing every bad parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) throw invalidQuery(problemsFromZod(schema, result.error.issues));
  return result.data;
}

export function readingsQuery(raw: unknown): ReadingsQuery {
  return parseQuery(readingsQuerySchema, raw);
}
