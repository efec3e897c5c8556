import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../agent/config/errors.ts';
import { parseConfig } from '../../agent/config/load.ts';

function problemPaths(paging: unknown): string[] {
  try {
    parseConfig({ gateway: { id: 'gw-1' }, paging });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.path);
  }
  throw new Error('config was accepted');
}

describe('paging config', () => {
  it('is off by default, with afterMs 120 s', () => {
    const c = parseConfig({ gateway: { id: 'gw-1' } });
    expect(c.paging).toMatchObject({ enabled: false, afterMs: 120_000, recipients: [] });
  });

  it('reports every problem with its path', () => {
    expect(problemPaths({ enabled: true })).toEqual(expect.arrayContaining(['paging.channels', 'paging.recipients']));
    expect(
      problemPaths({
        enabled: true,
        afterMs: 500,
        recipients: [{ name: 'a', phone: '0991234567' }, { name: 'b' }],
        channels: { modem: { path: '/dev/ttyUSB2', baudRate: 7, pin: 'abcd', colour: 'red' } },
      }),
    ).toEqual(
      expect.arrayContaining([
        'paging.afterMs',
        'paging.recipients[0].phone',
        'paging.channels.modem.baudRate',
        'paging.channels.modem.pin',
        'paging.channels.modem.colour',
      ]),
    );
  });

  it('asks for an address of every recipient on a configured channel', () => {
    expect(problemPaths({ enabled: true, recipients: [{ name: 'a', email: 'a@example.org' }], channels: { modem: { path: '/dev/ttyUSB2' } } })).toEqual([
      'paging.recipients[0]',
    ]);
  });
});
