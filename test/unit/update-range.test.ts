/** The relay's Range answers for resumable release downloads (RFC 9110 §14.1.2, §14.2) and its signed tarball URLs. */
import { describe, expect, it } from 'vitest';
import { parseRange } from '../../cloud/releases/range.ts';
import { checkTarballUrl, signedTarballPath } from '../../cloud/releases/url.ts';

describe('Range', () => {
  it('answers one range, open, closed or suffix; the whole file for none, several or a malformed one', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=50-', 100)).toEqual({ kind: 'partial', start: 50, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ kind: 'partial', start: 10, end: 19 });
    expect(parseRange('bytes=10-500', 100)).toEqual({ kind: 'partial', start: 10, end: 99 });
    expect(parseRange('bytes=-30', 100)).toEqual({ kind: 'partial', start: 70, end: 99 });
    expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'whole' });
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=20-10', 100)).toEqual({ kind: 'whole' });
  });

  it('is unsatisfiable past the end', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('signed tarball URL', () => {
  const key = Buffer.alloc(32, 7);
  const claim = { version: '0.2.0', gateway: 'gw-1', expires: 2_000 };
  const sig = new URLSearchParams(signedTarballPath(key, claim).split('?')[1]).get('sig')!;

  it('holds for its gateway, version and expiry only', () => {
    expect(signedTarballPath(key, claim)).toMatch(/^\/v1\/releases\/0\.2\.0\/tarball\?gateway=gw-1&expires=2000&sig=[0-9a-f]{64}$/);
    expect(checkTarballUrl(key, claim, sig, 1_000)).toBe('ok');
    expect(checkTarballUrl(key, claim, sig, 2_001)).toBe('expired');
    expect(checkTarballUrl(key, { ...claim, gateway: 'gw-2' }, sig, 1_000)).toBe('invalid');
    expect(checkTarballUrl(key, { ...claim, version: '0.3.0' }, sig, 1_000)).toBe('invalid');
    expect(checkTarballUrl(key, { ...claim, expires: 9_000 }, sig, 1_000)).toBe('invalid');
    expect(checkTarballUrl(Buffer.alloc(32, 8), claim, sig, 1_000)).toBe('invalid');
    expect(checkTarballUrl(key, claim, 'zz', 1_000)).toBe('invalid');
  });
});
