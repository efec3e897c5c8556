import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isAtalayaError } from '../../protocols/errors.ts';
import { decodeRaw, toEngineering } from '../../protocols/modbus/decode.ts';
import { encodeRequest } from '../../protocols/modbus/frame.ts';
import type { ChannelSpec, Profile } from '../../protocols/profiles/index.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';
import { ATALAYA_SIM_CONFIG } from '../../simulators/modbus/errors.ts';
import { FaultInjector, seededRandom } from '../../simulators/modbus/faults.ts';
import { FlowmeterModel } from '../../simulators/modbus/flowmeter.ts';
import { GasDetectorModel } from '../../simulators/modbus/gas-detector.ts';
import { handlePdu } from '../../simulators/modbus/pdu-handler.ts';
import type { RegisterImage } from '../../simulators/modbus/register-image.ts';
import type { ModbusSimulatorOptions } from '../../simulators/modbus/simulator.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { wireTimeMs } from '../../simulators/modbus/wire-time.ts';

const T0 = 1_000_000; // arbitrary monotonic origin, ms

/** What a client decoding `spec` from the image reads (decode.ts, independent of the writer). */
function read(image: RegisterImage, spec: ChannelSpec): number {
  const words = spec.table === 'input' ? image.input : image.holding;
  return toEngineering(decodeRaw(words, spec.address, spec.type as 'uint16', spec.order), spec.scale, spec.offset);
}
function bit(image: RegisterImage, profile: Profile, key: string): number {
  const spec = profile.status.find((s) => s.key === key)!;
  return (image.holding[spec.address]! >> spec.bit!) & 1;
}
const profile = (id: string): Profile => BUILTIN_PROFILES.get(id)!;
const channel = (id: string, key: string): ChannelSpec => profile(id).channels.find((c) => c.key === key)!;

describe('flowmeter totalizer', () => {
  it('integrates flow-steps exactly, whatever the tick interval (L/s × s / 1000 = m³)', () => {
    // 12.5 L/s for 30 s + 30 L/s for 30 s + 5 L/s for 30 s = 1425 L.
    const fine = new FlowmeterModel({ unitId: 1, scenario: 'flow-steps' });
    const coarse = new FlowmeterModel({ unitId: 2, scenario: 'flow-steps' });
    fine.advance(T0);
    coarse.advance(T0);
    for (let t = 0; t <= 120_000; t += 700) fine.advance(T0 + t);
    fine.advance(T0 + 120_000);
    coarse.advance(T0 + 120_000);
    expect(fine.values()['totalizer']).toBeCloseTo(1.425, 9);
    expect(coarse.values()['totalizer']).toBeCloseTo(1.425, 9);
  });

  it('follows the flow steps and serves both totalizer encodings', () => {
    const m = new FlowmeterModel({ unitId: 1, scenario: 'flow-steps', params: { totalizerM3: 1000 } });
    m.advance(T0);
    m.advance(T0 + 50_000); // 12.5 × 30 + 30 × 10 = 675 L
    expect(m.values()['flow']).toBe(30);
    expect(read(m.image, channel('flowmeter', 'flow'))).toBe(30);
    expect(read(m.image, channel('flowmeter', 'totalizer'))).toBeCloseTo(1000.7, 9); // uint32 ×0.1 at 2–3
    expect(read(m.image, channel('flowmeter-t64', 'totalizer'))).toBeCloseTo(1000.675, 9); // uint64 ×0.001 at 4–7
  });

  it('keeps integrating a steady flow for an hour', () => {
    const m = new FlowmeterModel({ unitId: 1, scenario: 'steady', params: { flow: 12.5 } });
    m.advance(T0);
    m.advance(T0 + 3_600_000);
    expect(m.values()['totalizer']).toBeCloseTo(45, 9);
  });

  it('draws the water column down and back in level-changes', () => {
    const m = new FlowmeterModel({ unitId: 1, scenario: 'level-changes', params: { waterColumnM: 40, sensorDepthM: 60 } });
    m.advance(T0);
    m.advance(T0 + 100_000);
    expect(m.values()['water_column']).toBe(32);
    expect(m.values()['level']).toBe(28);
    expect(read(m.image, channel('flowmeter', 'water_column'))).toBeCloseTo(32, 5);
    m.advance(T0 + 260_000);
    expect(m.values()['water_column']).toBe(40);
  });
});

describe('gas-leak scenario', () => {
  it('crosses 10 and 20 %LEL, raising then clearing the detector alarm bits', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'gas-leak' });
    const gas = profile('gas-detector');
    const at = (s: number): { ch4: number; a1: number; a2: number } => {
      m.advance(T0 + s * 1000);
      return { ch4: read(m.image, channel('gas-detector', 'ch4')), a1: bit(m.image, gas, 'alarm_1'), a2: bit(m.image, gas, 'alarm_2') };
    };
    at(0);
    expect(at(29)).toEqual({ ch4: 9.5, a1: 0, a2: 0 });
    expect(at(31)).toEqual({ ch4: 10.5, a1: 1, a2: 0 });
    expect(at(51)).toEqual({ ch4: 20.5, a1: 1, a2: 1 });
    expect(at(80)).toEqual({ ch4: 30, a1: 1, a2: 1 });
    expect(at(111)).toEqual({ ch4: 19.5, a1: 1, a2: 0 });
    expect(at(131)).toEqual({ ch4: 9.5, a1: 0, a2: 0 });
    expect(m.image.discrete[8]).toBe(0); // discrete inputs mirror the status register
  });

  it('follows a setpoint written with FC06 (holding 5, %LEL ×0.1)', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'gas-leak' });
    m.advance(T0);
    expect([...handlePdu(m.image, encodeRequest({ fc: 6, address: 5, value: 50 }))]).toEqual([6, 0, 5, 0, 50]);
    m.advance(T0 + 26_000); // 8 %LEL ≥ 5.0
    expect(m.values()['alarm_1']).toBe(1);
  });
});

describe('sensor-fault scenario', () => {
  it('sets the gas detector fault bit and reads 0 while it lasts', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'sensor-fault', params: { ch4: 3 } });
    const gas = profile('gas-detector');
    m.advance(T0);
    expect(bit(m.image, gas, 'fault_ch4')).toBe(0);
    expect(read(m.image, channel('gas-detector', 'ch4'))).toBe(3);
    m.advance(T0 + 30_000);
    expect(bit(m.image, gas, 'fault_ch4')).toBe(1);
    expect(read(m.image, channel('gas-detector', 'ch4'))).toBe(0);
    m.advance(T0 + 61_000);
    expect(bit(m.image, gas, 'fault_ch4')).toBe(0);
  });

  it('stops the totalizer during a coil fault and freezes the column during a level fault', () => {
    const m = new FlowmeterModel({ unitId: 1, scenario: 'sensor-fault', params: { flow: 10 } });
    const fm = profile('flowmeter');
    m.advance(T0);
    m.advance(T0 + 30_000);
    expect(bit(m.image, fm, 'fault_coil')).toBe(1);
    expect(m.values()['flow']).toBe(0);
    m.advance(T0 + 60_000);
    expect(bit(m.image, fm, 'fault_coil')).toBe(0);
    expect(bit(m.image, fm, 'fault_level')).toBe(1);
    // 10 L/s for 20 s + 20 s, not during the 20 s coil fault.
    expect(m.values()['totalizer']).toBeCloseTo(0.4, 9);
  });
});

describe('register image', () => {
  it('encodes every channel per its profile (decoded back with decodeRaw)', () => {
    const gas = new GasDetectorModel({ unitId: 1, scenario: 'steady', params: { ch4: 4.2, h2s: 1.3, co: 7, o2: 20.87 } });
    const flow = new FlowmeterModel({ unitId: 2, scenario: 'steady', params: { flow: -3.25, waterColumnM: 41.5, totalizerM3: 123_456.789 } });
    gas.advance(T0);
    flow.advance(T0);
    const cases: Array<[string, GasDetectorModel | FlowmeterModel]> = [
      ['gas-detector', gas],
      ['flowmeter', flow],
      ['flowmeter-t64', flow],
    ];
    for (const [id, model] of cases) {
      for (const spec of profile(id).channels) {
        const error = Math.abs(read(model.image, spec) - model.values()[spec.key]!);
        expect(error, `${id}.${spec.key}`).toBeLessThanOrEqual(spec.resolution / 2 + 1e-9);
      }
    }
    expect(bit(flow.image, profile('flowmeter'), 'reverse_flow')).toBe(1);
    expect([...gas.image.input.subarray(0, 5)]).toEqual([...gas.image.holding.subarray(0, 5)]);
  });

  it('clamps to the register range and rounds to the register resolution', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'steady', params: { ch4: 7000, co: -5, o2: 20.956 } });
    m.advance(T0);
    expect(m.image.holding[0]).toBe(0xffff); // 6553.5 %LEL, the most a uint16 ×0.1 holds
    expect(m.image.holding[2]).toBe(0);
    expect(m.image.holding[3]).toBe(2096);
  });

  it('answers exception 02 outside the map, 01 for unknown functions, 03 for bad quantities', () => {
    const m = new GasDetectorModel({ unitId: 1, scenario: 'steady' });
    m.advance(T0);
    expect([...handlePdu(m.image, Uint8Array.from([3, 0, 15, 0, 2]))]).toEqual([0x83, 2]);
    expect([...handlePdu(m.image, Uint8Array.from([8, 0, 0, 0, 0]))]).toEqual([0x88, 1]);
    expect([...handlePdu(m.image, Uint8Array.from([3, 0, 0, 0, 126]))]).toEqual([0x83, 3]);
    expect([...handlePdu(m.image, encodeRequest({ fc: 15, address: 6, values: [true, true, true] }))]).toEqual([0x8f, 2]);
    expect([...handlePdu(m.image, encodeRequest({ fc: 15, address: 5, values: [true, false, true] }))]).toEqual([15, 0, 5, 0, 3]);
    expect([...handlePdu(m.image, Uint8Array.from([1, 0, 5, 0, 3]))]).toEqual([1, 1, 0b101]);
  });
});

describe('faults', () => {
  it('are reproducible from a seed and respect probability and window', () => {
    const options = { drop: { probability: 0.3 }, exception: { code: 6, probability: 0.5 }, badCrc: { probability: 0.2 } };
    const run = (): unknown[] => {
      const f = new FaultInjector(options, seededRandom(42));
      return Array.from({ length: 50 }, () => f.decide(0));
    };
    const a = run();
    expect(run()).toEqual(a);
    const drops = a.filter((d) => (d as { drop: boolean }).drop).length;
    expect(drops).toBeGreaterThan(0);
    expect(drops).toBeLessThan(50);

    const windowed = new FaultInjector({ exception: { code: 2, fromS: 10, toS: 20 } }, seededRandom(1));
    expect([5, 15, 25].map((s) => windowed.decide(s).exception)).toEqual([undefined, 2, undefined]);
  });
});

describe('wire time (docs/modbus.md#silent-intervals-and-wire-time)', () => {
  it('reproduces the physical ceiling table', () => {
    const pollsPerS = (n: number, baud: number): number => 1000 / wireTimeMs(8, 5 + 2 * n, baud);
    expect(pollsPerS(1, 9600)).toBeCloseTo(39.7, 1);
    expect(pollsPerS(2, 19200)).toBeCloseTo(72.7, 1);
    expect(pollsPerS(10, 9600)).toBeCloseTo(21.8, 1);
    expect(pollsPerS(125, 19200)).toBeCloseTo(6.5, 1);
    expect(wireTimeMs(8, 7, 115200)).toBeCloseTo((15 * 11 * 1000) / 115200 + 3.5, 9); // t3.5 fixed 1.75 ms
  });
});

describe('simulator options', () => {
  it('reports every problem at once, each with its path', () => {
    const options: ModbusSimulatorOptions = {
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'flow-steps' },
        { unitId: 1, kind: 'flowmeter', scenario: 'nope', params: { flow: 2, colour: 3 } },
        { unitId: 300, kind: 'flowmeter', scenario: 'steady', faults: { drop: { probability: 2 } } },
      ],
      serial: { path: '/dev/null', baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 },
      clock: { now: () => 0, monotonic: () => 0 },
      logger: pino({ level: 'silent' }),
    };
    let error: unknown;
    try {
      new ModbusSimulator(options);
    } catch (err) {
      error = err;
    }
    expect(isAtalayaError(error, ATALAYA_SIM_CONFIG)).toBe(true);
    const paths = (error as { details: { problems: Array<{ path: string }> } }).details.problems.map((p) => p.path);
    expect(paths.sort()).toEqual(
      [
        'devices[0].scenario',
        'devices[1].unitId',
        'devices[1].scenario',
        'devices[1].params.colour',
        'devices[2].unitId',
        'devices[2].faults.drop.probability',
      ].sort(),
    );
  });
});
