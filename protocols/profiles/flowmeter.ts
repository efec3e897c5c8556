import type { ChannelSpec, Profile, StatusBitSpec } from './types.ts';

/**
 * Electromagnetic flowmeter for wells with a pressure level sensor, holding registers (FC03).
 * Register map (both variants carry both totalizer encodings; the profile picks one):
 *   0–1  flow, L/s, float32 CDAB
 *   2–3  totalizer, m³, uint32 ×0.1 (rolls over at 429,496,729.5 m³)
 *   4–7  totalizer, m³, uint64 ×0.001
 *   8–9  water column above the pressure sensor, m, float32 CDAB
 *   10   status bits: 0 empty pipe, 1 coil fault, 2 level sensor fault, 3 reverse flow
 * Level below the well head = sensor depth (device param `sensorDepthM`) − water column.
 */
const flow: ChannelSpec = {
  key: 'flow',
  table: 'holding',
  address: 0,
  type: 'float32',
  order: 'CDAB',
  scale: 1,
  offset: 0,
  unit: 'L/s',
  min: -1000,
  max: 1000,
  resolution: 0.001,
  description: 'Instantaneous flow',
};
const total32: ChannelSpec = {
  key: 'totalizer',
  table: 'holding',
  address: 2,
  type: 'uint32',
  order: 'ABCD',
  scale: 0.1,
  offset: 0,
  unit: 'm3',
  min: 0,
  max: 429_496_729.5,
  resolution: 0.1,
  description: 'Totalized volume (32-bit register pair)',
};
const total64: ChannelSpec = {
  key: 'totalizer',
  table: 'holding',
  address: 4,
  type: 'uint64',
  order: 'ABCD',
  scale: 0.001,
  offset: 0,
  unit: 'm3',
  min: 0,
  max: Number.MAX_SAFE_INTEGER / 1000,
  resolution: 0.001,
  description: 'Totalized volume (64-bit, four registers)',
};
const column: ChannelSpec = {
  key: 'water_column',
  table: 'holding',
  address: 8,
  type: 'float32',
  order: 'CDAB',
  scale: 1,
  offset: 0,
  unit: 'm',
  min: 0,
  max: 300,
  resolution: 0.001,
  description: 'Water column above the pressure sensor',
};

const status: StatusBitSpec[] = [
  {
    key: 'empty_pipe',
    table: 'holding',
    address: 10,
    bit: 0,
    type: 'bit',
    order: 'ABCD',
    scale: 1,
    offset: 0,
    meaning: 'fault',
    channels: ['flow'],
    description: 'Empty pipe: flow not measurable',
  },
  {
    key: 'fault_coil',
    table: 'holding',
    address: 10,
    bit: 1,
    type: 'bit',
    order: 'ABCD',
    scale: 1,
    offset: 0,
    meaning: 'fault',
    channels: ['flow', 'totalizer'],
    description: 'Excitation coil fault',
  },
  {
    key: 'fault_level',
    table: 'holding',
    address: 10,
    bit: 2,
    type: 'bit',
    order: 'ABCD',
    scale: 1,
    offset: 0,
    meaning: 'fault',
    channels: ['water_column', 'level'],
    description: 'Level sensor fault',
  },
  {
    key: 'reverse_flow',
    table: 'holding',
    address: 10,
    bit: 3,
    type: 'bit',
    order: 'ABCD',
    scale: 1,
    offset: 0,
    meaning: 'info',
    channels: [],
    description: 'Flow in reverse direction',
  },
];

const level = {
  key: 'level',
  kind: 'depth_minus',
  source: 'water_column',
  param: 'sensorDepthM',
  unit: 'm',
  min: -10,
  max: 1000,
  resolution: 0.001,
  description: 'Water level below the well head (sensor depth − water column)',
} as const;

export const flowmeter: Profile = {
  id: 'flowmeter',
  description: 'Electromagnetic well flowmeter: flow L/s, 32-bit totalizer m³, water column and level m',
  channels: [flow, total32, column],
  status,
  derived: [level],
};

export const flowmeter64: Profile = {
  id: 'flowmeter-t64',
  description: 'Electromagnetic well flowmeter with a 64-bit totalizer (four registers)',
  channels: [flow, total64, column],
  status,
  derived: [level],
};

/** Registers the simulator serves: both totalizer encodings, so one device answers either profile. */
export const FLOWMETER_REGISTER_COUNT = 11;
