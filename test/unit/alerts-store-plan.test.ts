import { describe, expect, it } from 'vitest';
import { ALERTS_SQL, alarmRecordsSinceSql, claimSql } from '../../cloud/store/alerts-sql.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

/**
 * The statements the alerts run every pass or every send reach their rows through an index: the
 * alarm-record cursor walks only alarm records (records_alarm_received), the claim only due
 * messages of one channel (alert_outbox_due), none scans a table from end to end.
 */
const { plan } = relayPlanDb();

describe('alerts store (SQLite) query plans', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['alarmRecordsSince', alarmRecordsSinceSql('sqlite'), /^SEARCH records USING INDEX records_alarm_received \(\(received_at,gateway,seq\)>\(\?,\?,\?\)\)$/],
    ['claim', claimSql('sqlite'), /^SEARCH alert_outbox USING INDEX alert_outbox_due \(channel=\? AND next_attempt_at<\?\)$/],
    [
      'recentCount',
      ALERTS_SQL.recentCount,
      /^SEARCH alert_outbox USING INDEX alert_outbox_window \(channel=\? AND address=\? AND rule=\? AND created_at>\?\)$/,
    ],
    ['openOfFamily', ALERTS_SQL.openOfFamily, /^SEARCH alerts USING INDEX alerts_family \(family=\?\)$/],
  ];

  it.each(cases)('%s uses its index', (_name, sql, expected) => {
    const details = plan(sql);
    expect(
      details.some((d) => expected.test(d)),
      details.join('\n'),
    ).toBe(true);
    expect(details.filter((d) => /^SCAN (records|alert_outbox|alerts)\b/.test(d))).toEqual([]);
  });

  it('no per-pass statement scans records', () => {
    for (const sql of Object.values(ALERTS_SQL)) expect(plan(sql).filter((d) => /^SCAN records\b/.test(d))).toEqual([]);
  });
});
