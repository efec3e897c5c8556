import type { z } from 'zod';
import { badRequest } from './errors.ts';

/** The parsed value, or a 400 naming every problem with its path. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : what}: ${i.message}`);
  throw badRequest(`invalid ${what}: ${problems.join('; ')}`);
}
