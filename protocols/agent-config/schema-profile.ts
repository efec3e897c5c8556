import { z } from 'zod';
import { DATA_TYPES, REGISTER_TABLES, WORD_ORDERS } from '../modbus/types.ts';

/** A register field as written in a config file; defaults make the common case short. */
const field = {
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .describe('Channel name, unique in the profile: lower case, digits, _'),
  table: z.enum(REGISTER_TABLES).default('holding').describe('Modbus table: coil (FC01), discrete (FC02), holding (FC03), input (FC04)'),
  address: z.number().int().min(0).max(65535).describe('Zero-based protocol address (register or bit), 0..65535'),
  type: z.enum(DATA_TYPES).default('uint16').describe('Value type; 32/64-bit types span 2/4 registers'),
  order: z
    .enum(WORD_ORDERS)
    .default('ABCD')
    .describe('Byte/word order of multi-register values: ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA little-endian'),
  scale: z.number().finite().default(1).describe('Engineering value = raw × scale + offset'),
  offset: z.number().finite().default(0).describe('Engineering value = raw × scale + offset'),
};

export const channelSchema = z.strictObject({
  ...field,
  bit: z.number().int().min(0).max(15).optional().describe('For type bit in a register table: bit index, 0 = LSB'),
  unit: z.string().min(1).max(16).describe('Engineering unit, e.g. %LEL, ppm, L/s, m3, m'),
  min: z.number().finite().describe('Lowest valid value; below it the reading is out_of_range'),
  max: z.number().finite().describe('Highest valid value; above it the reading is out_of_range'),
  resolution: z.number().positive().default(0.001).describe('Smallest step the device reports, engineering units'),
  description: z.string().default(''),
});

export const statusBitSchema = z.strictObject({
  ...field,
  type: z.literal('bit').default('bit'),
  bit: z.number().int().min(0).max(15).optional().describe('Bit index in the register, 0 = LSB (register tables only)'),
  meaning: z.enum(['fault', 'alarm', 'info']).describe('fault marks `channels` sensor_fault while set; alarm/info are stored as 0/1 readings'),
  channels: z.array(z.string()).default([]).describe('Channels invalid while this fault bit is set'),
  description: z.string().default(''),
});

export const derivedSchema = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  kind: z.literal('depth_minus').describe('value = device param − source channel (e.g. level = sensor depth − water column)'),
  source: z.string(),
  param: z.string().describe('Name of the device parameter (devices[].params) the derivation uses'),
  unit: z.string().min(1).max(16),
  min: z.number().finite(),
  max: z.number().finite(),
  resolution: z.number().positive().default(0.001),
  description: z.string().default(''),
});

export const profileSchema = z.strictObject({
  description: z.string().default(''),
  channels: z.array(channelSchema).min(1),
  status: z.array(statusBitSchema).default([]),
  derived: z.array(derivedSchema).default([]),
});

export type ProfileInput = z.input<typeof profileSchema>;
