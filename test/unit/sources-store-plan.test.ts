import { describe, expect, it } from 'vitest';
import { SOURCES_SQL } from '../../cloud/store/sources-sql.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

const { plan } = relayPlanDb();

// Listing every source and problem reads two small tables on an operator's request.
const perMessage = Object.entries(SOURCES_SQL).filter(([name]) => name !== 'listSources' && name !== 'listProblems');

describe('sources store query plans (SQLite)', () => {
  it.each(perMessage)('%s uses a key, never a scan or a temporary sort', (_name, sql) => {
    const details = plan(sql);
    expect(details.filter((d) => /^SCAN /.test(d) || d.includes('USE TEMP B-TREE'))).toEqual([]);
  });

  it('claims and looks up a message id by the primary key', () => {
    expect(plan(SOURCES_SQL.messageAt).join(' ')).toMatch(/SEARCH source_messages USING PRIMARY KEY \(source=\? AND message_id=\?\)/);
    expect(plan(SOURCES_SQL.highestSeq).join(' ')).toMatch(/SEARCH gateways USING PRIMARY KEY \(id=\?\)/);
  });
});
