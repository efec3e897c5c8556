import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startAgent, startBench } from './agent-setup.ts';

/** A clock whose monotonic time the test moves forward, to play a 3-minute scenario in a second. */
function jumpClock(): Clock & { jumpTo(seconds: number): void } {
  const origin = systemClock.monotonic();
  let offset = 0;
  return {
    now: systemClock.now,
    monotonic: () => systemClock.monotonic() + offset,
    jumpTo(seconds) {
      offset = origin + seconds * 1000 - systemClock.monotonic();
    },
  };
}

describe('threshold alarms on polled gas readings', () => {
  let bench: Bench | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
    await bench?.close();
    agent = bench = undefined;
  });

  it('raises warning and alarm during a leak, clears the warning after, keeps the latched alarm', async () => {
    const clock = jumpClock();
    bench = await startBench('tcp', [{ unitId: 1, kind: 'gas-detector', scenario: 'gas-leak' }], 19200, clock);
    agent = await startAgent(bench, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, ...bench.at(1) }]);
    const a = agent;
    const states = () => new Map(a.buffer.alarmStates().map((s) => [`${s.channel}/${s.rule}`, s]));

    await waitFor(() => a.buffer.latest().some((r) => r.channel === 'ch4'), 'first reading');
    expect(a.buffer.alarmStates()).toEqual([]);

    clock.jumpTo(75); // CH4 at its 30 %LEL plateau
    await waitFor(() => states().get('ch4/high2')?.state === 'raised', 'high2 raised');
    expect(states().get('ch4/high1')).toMatchObject({ level: 'warning', state: 'raised', threshold: 10 });
    expect(states().get('ch4/high2')).toMatchObject({ level: 'alarm', threshold: 20 });

    clock.jumpTo(170); // back to baseline
    await waitFor(() => states().get('ch4/high1')?.state === 'cleared', 'high1 cleared');
    // CH4 high2 latches: it stays raised until a person acknowledges it.
    expect(states().get('ch4/high2')!.state).toBe('raised');
    expect(a.alarms.active()).toEqual([expect.objectContaining({ channel: 'ch4', rule: 'high2', latched: true })]);

    a.alarms.acknowledge('gas', 'ch4', 'high2');
    await waitFor(() => states().get('ch4/high2')?.state === 'cleared', 'high2 cleared by acknowledgement');

    const alarmRecords = a.buffer.readAfter(0, 100_000, 'alarm');
    expect(alarmRecords.map((r) => `${r.alarm!.rule}:${r.alarm!.state}`)).toEqual(['high1:raised', 'high2:raised', 'high1:cleared', 'high2:cleared']);
    expect(alarmRecords.every((r) => r.priority === 2 && r.device === 'gas' && r.unit === '%LEL')).toBe(true);
  });
});
