import { describe, expect, it } from 'vitest';
import { isAtalayaError } from '../../protocols/errors.ts';
import { ATALAYA_SIM_CONFIG } from '../../simulators/modbus/errors.ts';
import { FlowmeterModel } from '../../simulators/modbus/flowmeter.ts';
import { GasDetectorModel } from '../../simulators/modbus/gas-detector.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';

const T0 = 1_000_000; // arbitrary monotonic origin, ms

describe('switching a running device to another scenario', () => {
  it('a flowmeter plays the new scenario from its time 0 and its totalizer keeps counting', () => {
    const m = new FlowmeterModel({ unitId: 1, scenario: 'steady', params: { flow: 12.5, totalizerM3: 100 } });
    m.advance(T0);
    m.advance(T0 + 10_000); // 12.5 L/s × 10 s = 0.125 m³
    m.setScenario('flow-steps', T0 + 10_000);
    expect(m.scenario).toBe('flow-steps');
    expect(m.values()['flow']).toBe(0); // flow-steps starts at 0 L/s
    expect(m.values()['totalizer']).toBeCloseTo(100.125, 9);
    m.advance(T0 + 30_000); // 0 for 10 s, then 12.5 L/s for 10 s = 0.125 m³
    expect(m.values()['flow']).toBe(12.5);
    expect(m.values()['totalizer']).toBeCloseTo(100.25, 9);
  });

  it('a gas detector starts its leak at the switch and keeps the set points written to it', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'steady' });
    m.advance(T0);
    m.image.holding[5] = 50; // alarm 1 set point 5.0 %LEL, written by a client
    m.advance(T0 + 100_000);
    m.setScenario('gas-leak', T0 + 100_000);
    expect(m.values()['ch4']).toBe(0);
    m.advance(T0 + 120_000); // gas-leak: 0 until 10 s, then 0.5 %LEL/s
    expect(m.values()['ch4']).toBeCloseTo(5, 9);
    expect(m.values()['alarm_1']).toBe(1);
    expect(m.values()['alarm_2']).toBe(0);
  });

  it('ModbusSimulator.setScenario switches one unit on its clock and refuses what does not apply', () => {
    let now = T0;
    const sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'steady' },
        { unitId: 2, kind: 'flowmeter', scenario: 'steady' },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: { now: () => now, monotonic: () => now },
      logger: testLogger(),
    });
    sim.device(1)!.advance(now);
    now += 5_000;
    sim.setScenario(1, 'gas-leak');
    expect(sim.device(1)!.scenario).toBe('gas-leak');
    expect(sim.device(1)!.elapsedS(now + 20_000)).toBe(20);
    expect(sim.device(2)!.scenario).toBe('steady');
    for (const [unit, scenario] of [
      [2, 'gas-leak'],
      [3, 'steady'],
      [1, 'no-such'],
    ] as const) {
      let error: unknown;
      try {
        sim.setScenario(unit, scenario as 'steady');
      } catch (err) {
        error = err;
      }
      expect(isAtalayaError(error, ATALAYA_SIM_CONFIG), `${unit} ${scenario}`).toBe(true);
    }
    expect(sim.device(2)!.scenario).toBe('steady');
  });
});
