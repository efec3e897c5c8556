import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken, tokenName } from '../../cloud/http/auth.ts';
import { CONFIG_INVALID, isAtalayaError } from '../../protocols/errors.ts';

describe('operator token names (who acts in the DGA review audit)', () => {
  it('a named token is its name; an unnamed one token-<first 8 hex of its hash>', () => {
    const hash = hashApiToken(newApiToken());
    expect(tokenName({ name: 'alice', sha256: hash })).toBe('alice');
    expect(tokenName(hash)).toBe(`token-${hash.slice(0, 8)}`);
  });

  it('the relay config takes both forms and refuses a bad name with its path', () => {
    const hash = hashApiToken(newApiToken());
    expect(parseRelayConfig({ apiTokens: [hash, { name: 'alice', sha256: hash }] }).apiTokens).toEqual([hash, { name: 'alice', sha256: hash }]);
    try {
      parseRelayConfig({ apiTokens: [{ name: 'no spaces please', sha256: hash }] });
      expect.unreachable();
    } catch (err) {
      expect(isAtalayaError(err, CONFIG_INVALID)).toBe(true);
      expect((err as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toEqual(['apiTokens[0].name']);
    }
  });
});
