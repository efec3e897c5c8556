import type { FieldSpec } from '../modbus/types.ts';

/** A measured value of a device: a register field with a unit and a valid range. */
export interface ChannelSpec extends FieldSpec {
  readonly unit: string;
  /** Valid range in engineering units; a value outside it gets quality `out_of_range`. */
  readonly min: number;
  readonly max: number;
  /** Smallest step the device reports, in engineering units (scale for integer registers). */
  readonly resolution: number;
  readonly description: string;
}

/**
 * A status bit. `fault` bits mark the listed channels `sensor_fault` while set; `alarm` and `info`
 * bits are stored as readings of their own (0 or 1).
 */
export interface StatusBitSpec extends FieldSpec {
  readonly type: 'bit';
  readonly meaning: 'fault' | 'alarm' | 'info';
  /** Channels whose readings are invalid while a fault bit is set. */
  readonly channels: readonly string[];
  readonly description: string;
}

/**
 * A channel computed from another after reading: `depth_minus` gives param − source, e.g. the
 * water level below the well head from the sensor's installation depth and the water column
 * above the sensor.
 */
export interface DerivedChannelSpec {
  readonly key: string;
  readonly kind: 'depth_minus';
  readonly source: string;
  /** Name of the per-device parameter (device config `params`) that the derivation needs. */
  readonly param: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly resolution: number;
  readonly description: string;
}

export interface Profile {
  readonly id: string;
  readonly description: string;
  readonly channels: readonly ChannelSpec[];
  readonly status: readonly StatusBitSpec[];
  readonly derived: readonly DerivedChannelSpec[];
}
