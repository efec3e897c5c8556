import { describe, expect, it } from 'vitest';
import { ackKey, signAck, verifyAck } from '../../cloud/alerts/ack-token.ts';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { ALERTS_ACK_TOKEN_EXPIRED, ALERTS_ACK_TOKEN_INVALID } from '../../cloud/alerts/errors.ts';
import { messageKey } from '../../cloud/alerts/messages.ts';
import { matchingRules, releaseAt, subjectMatches } from '../../cloud/alerts/rules.ts';

const KEY = ackKey(Buffer.alloc(32, 1));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('ack tokens', () => {
  const claim = { alertId: 'alarm:gw-1:det-1:ch4:high2:7', recipient: 'guardia/ana', expiresAt: 2_000 };

  it('verify with the key that signed them, until they expire', () => {
    expect(verifyAck(KEY, signAck(KEY, claim), 1_999)).toEqual(claim);
    expect(codeOf(() => verifyAck(KEY, signAck(KEY, claim), 2_000))).toBe(ALERTS_ACK_TOKEN_EXPIRED);
  });

  it('refuse another relay key, an altered payload, and garbage', () => {
    const token = signAck(KEY, claim);
    expect(codeOf(() => verifyAck(ackKey(Buffer.alloc(32, 2)), token, 0))).toBe(ALERTS_ACK_TOKEN_INVALID);
    const [, mac] = token.split('.');
    const other = Buffer.from(JSON.stringify({ a: 'alarm:gw-1:det-1:ch4:high2:8', r: 'guardia/ana', e: 2_000 })).toString('base64url');
    expect(codeOf(() => verifyAck(KEY, `${other}.${mac}`, 0))).toBe(ALERTS_ACK_TOKEN_INVALID);
    expect(codeOf(() => verifyAck(KEY, 'x', 0))).toBe(ALERTS_ACK_TOKEN_INVALID);
  });
});

describe('rules', () => {
  const config = alertsConfigSchema.parse({
    quietHours: { timeZone: 'America/Santiago', from: '22:00', to: '07:00' },
    channels: { email: { host: 'smtp.example.cl', from: 'atalaya@example.cl' } },
    groups: { g: { members: [{ name: 'a', email: 'a@example.cl' }] } },
    rules: [
      { name: 'north', kinds: ['alarm'], subjects: ['pozo-norte-*/det-*/*'], groups: ['g'] },
      { name: 'warn-only', severities: ['warning'], groups: ['g'] },
    ],
  });

  it('match subjects with * across any characters, and kind and severity', () => {
    expect(subjectMatches('pozo-norte-*/det-*/*', 'pozo-norte-01/det-1/ch4')).toBe(true);
    expect(subjectMatches('pozo-norte-*/det-*/*', 'pozo-sur-01/det-1/ch4')).toBe(false);
    expect(subjectMatches('a.b', 'axb')).toBe(false);
    expect(matchingRules(config, { kind: 'alarm', severity: 'alarm', subject: 'pozo-norte-01/det-1/ch4' }).map((r) => r.name)).toEqual(['north']);
    expect(matchingRules(config, { kind: 'gateway_silent', severity: 'warning', subject: 'pozo-norte-01' }).map((r) => r.name)).toEqual(['warn-only']);
  });

  it('hold warnings in quiet hours until their end in America/Santiago, never alarms', () => {
    // 2026-01-15 03:00 in Santiago (UTC−3 in summer) is 06:00Z; quiet hours end at 07:00 local = 10:00Z.
    const at3am = Date.parse('2026-01-15T06:00:00Z');
    expect(releaseAt(config, 'warning', at3am)).toBe(Date.parse('2026-01-15T10:00:00Z'));
    expect(releaseAt(config, 'alarm', at3am)).toBe(at3am);
    const noon = Date.parse('2026-01-15T15:00:00Z');
    expect(releaseAt(config, 'warning', noon)).toBe(noon);
  });

  it('give every message a stable key of at most 128 ASCII characters', () => {
    const k = messageKey(['alarm:gw:d:c:r:1', 'rule', 'opened', 0, 'g', 'a', 'email', 'a@example.cl']);
    expect(k).toMatch(/^atl-[A-Za-z0-9_-]{43}$/);
    expect(messageKey(['alarm:gw:d:c:r:1', 'rule', 'opened', 0, 'g', 'a', 'email', 'a@example.cl'])).toBe(k);
  });
});
