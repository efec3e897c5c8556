import { AtalayaError } from '../protocols/errors.ts';
import type { FaultOptions } from '../simulators/modbus/faults.ts';
import type { SimDeviceConfig } from '../simulators/modbus/simulator.ts';
import { CLI_USAGE } from './errors.ts';

/** `2=flowmeter:flow-steps` → a simulated device (scenario defaults by kind). */
export function parseDeviceArg(arg: string): SimDeviceConfig {
  const m = /^(\d{1,3})=([a-z-]+?)(?::([a-z-]+))?$/.exec(arg);
  if (m === null) throw usage(`--device '${arg}': expected UNIT=KIND[:SCENARIO], e.g. 1=gas-detector:gas-leak`);
  const kind = m[2]!;
  const scenario = m[3] ?? (kind === 'gas-detector' ? 'gas-leak' : 'flow-steps');
  return { unitId: Number(m[1]), kind: kind as SimDeviceConfig['kind'], scenario };
}

/**
 * `1=exception:6:0.2`, `1=slow:300`, `2=drop:0.1`, `2=bad-crc:0.05` → faults by unit id.
 * Probabilities 0..1, default 1 for exception and slow.
 */
export function parseFaultArgs(args: readonly string[]): Map<number, FaultOptions> {
  const out = new Map<number, FaultOptions>();
  for (const arg of args) {
    const m = /^(\d{1,3})=(exception|slow|drop|bad-crc):([\d.]+)(?::([\d.]+))?$/.exec(arg);
    if (m === null) throw usage(`--fault '${arg}': expected UNIT=exception:CODE[:P] | UNIT=slow:MS[:P] | UNIT=drop:P | UNIT=bad-crc:P`);
    const unit = Number(m[1]);
    const a = Number(m[3]);
    const p = m[4] === undefined ? undefined : Number(m[4]);
    const prev = out.get(unit) ?? {};
    switch (m[2]) {
      case 'exception':
        out.set(unit, { ...prev, exception: { code: a, ...(p !== undefined ? { probability: p } : {}) } });
        break;
      case 'slow':
        out.set(unit, { ...prev, slow: { delayMs: a, ...(p !== undefined ? { probability: p } : {}) } });
        break;
      case 'drop':
        out.set(unit, { ...prev, drop: { probability: a } });
        break;
      default:
        out.set(unit, { ...prev, badCrc: { probability: a } });
    }
  }
  return out;
}

/** `5020` or `0.0.0.0:5020` */
export function parseHostPort(arg: string, defaultHost: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(arg);
  if (m === null || Number(m[2]) > 65535) throw usage(`'${arg}': expected [HOST:]PORT`);
  return { host: m[1] ?? defaultHost, port: Number(m[2]) };
}

/** An integer option in min..max, refused with the option's name and range (CLI_USAGE). */
export function intArg(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${name} '${v ?? ''}': expected an integer ${min}..${max}`);
  return Number(v);
}

/** A TCP port option, 0 for any free port. */
export function portArg(name: string, v: string | undefined): number {
  if (v === undefined || !/^\d{1,5}$/.test(v) || Number(v) > 65535) throw usage(`${name} '${v ?? ''}': expected a port 0..65535`);
  return Number(v);
}

export function usage(message: string): AtalayaError {
  return new AtalayaError(CLI_USAGE, message);
}
