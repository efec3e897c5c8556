import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * One writer of `records` (issue 12): the relay's statements that insert, change or delete stored
 * records live in the records store's SQL and nowhere else. Anchoring's claim is the records
 * store's markAnchorBatch; a feature that needs to change records adds a method there.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRITER = 'cloud/store/records-sql.ts';
const WRITES = /\b(?:UPDATE|INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|DELETE\s+FROM)\s+records\b/i;

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

describe('the records store is the one writer of records', () => {
  const files = [...sources('cloud'), ...sources('cli')];

  it('finds the relay sources and the writer among them', () => {
    expect(files).toContain(WRITER);
    expect(fs.readFileSync(path.join(ROOT, WRITER), 'utf8')).toMatch(WRITES);
  });

  it('no other relay module inserts, updates or deletes records', () => {
    // A schema step that moves the table's rows to a new layout (migrations-records-v2.ts) is no writer of records.
    const writers = files.filter(
      (file) => file !== WRITER && !path.basename(file).startsWith('migrations-') && WRITES.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
    );
    expect(writers).toEqual([]);
  });
});
