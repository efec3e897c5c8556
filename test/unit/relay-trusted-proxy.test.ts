/** cloud/http/connection-limits.ts trustedProxy: which peers the per-address connection cap leaves alone. */
import { describe, expect, it } from 'vitest';
import { trustedProxy } from '../../cloud/http/connection-limits.ts';

describe('trustedProxy', () => {
  it('trusts nobody with false, every peer with true or a hop count', () => {
    expect(trustedProxy(false)('127.0.0.1')).toBe(false);
    expect(trustedProxy(true)('203.0.113.9')).toBe(true);
    expect(trustedProxy(1)('203.0.113.9')).toBe(true);
  });

  it('trusts the listed addresses, CIDRs and named ranges, IPv4 peers on a dual-stack socket included', () => {
    const trusted = trustedProxy(['10.0.0.0/8', '192.0.2.7', 'loopback', 'fd00::/8']);
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('192.0.2.7')).toBe(true);
    expect(trusted('192.0.2.8')).toBe(false);
    expect(trusted('127.0.0.2')).toBe(true);
    expect(trusted('::1')).toBe(true);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('2001:db8::1')).toBe(false);
    expect(trusted('203.0.113.9')).toBe(false);
  });
});
