/**
 * The simulators' shared option parsers (cli/sim-args.ts): a bad number is refused with the CLI's
 * usage code and the option's name, never read as NaN or a default.
 */
import { describe, expect, it } from 'vitest';
import { CLI_USAGE } from '../../cli/errors.ts';
import { intArg, parseHostPort, portArg } from '../../cli/sim-args.ts';

const refusal = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('simulator options', () => {
  it('reads integers within their range and refuses the rest', () => {
    expect(intArg('--period-ms', '60000', 100, 86_400_000)).toBe(60_000);
    expect(intArg('--slow', '0', 0, 10)).toBe(0);
    for (const bad of [undefined, '', '-1', '1.5', '1e3', '11', 'x'])
      expect(
        refusal(() => intArg('--slow', bad, 0, 10)),
        String(bad),
      ).toBe(CLI_USAGE);
  });

  it('reads ports 0..65535 and refuses the rest', () => {
    expect(portArg('--http-port', '0')).toBe(0);
    expect(portArg('--http-port', '65535')).toBe(65_535);
    for (const bad of [undefined, '65536', '-1', '80a', '123456'])
      expect(
        refusal(() => portArg('--http-port', bad)),
        String(bad),
      ).toBe(CLI_USAGE);
  });

  it('reads [HOST:]PORT', () => {
    expect(parseHostPort('5020', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 5020 });
    expect(parseHostPort('0.0.0.0:502', '127.0.0.1')).toEqual({ host: '0.0.0.0', port: 502 });
    expect(refusal(() => parseHostPort('host:70000', '127.0.0.1'))).toBe(CLI_USAGE);
  });
});
