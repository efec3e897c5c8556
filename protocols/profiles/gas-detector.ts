import type { Profile } from './types.ts';

/**
 * Multi-gas detector, four sensors, holding registers (FC03), scaled 16-bit integers as most
 * fixed detectors expose them. Register map:
 *   0 CH4 %LEL ×0.1 · 1 H2S ppm ×0.1 · 2 CO ppm ×1 · 3 O2 %vol ×0.01 · 4 status bits
 * Status register 4: bits 0–3 sensor faults (CH4, H2S, CO, O2), bit 8 alarm level 1, bit 9 alarm
 * level 2 (the detector's own relays).
 */
export const gasDetector: Profile = {
  id: 'gas-detector',
  description: 'Multi-gas detector: CH4 %LEL, H2S ppm, CO ppm, O2 %vol with fault and alarm bits',
  channels: [
    { key: 'ch4', table: 'holding', address: 0, type: 'uint16', order: 'ABCD', scale: 0.1, offset: 0, unit: '%LEL', min: 0, max: 100, resolution: 0.1, description: 'Methane, percent of the lower explosive limit' },
    { key: 'h2s', table: 'holding', address: 1, type: 'uint16', order: 'ABCD', scale: 0.1, offset: 0, unit: 'ppm', min: 0, max: 200, resolution: 0.1, description: 'Hydrogen sulphide' },
    { key: 'co', table: 'holding', address: 2, type: 'uint16', order: 'ABCD', scale: 1, offset: 0, unit: 'ppm', min: 0, max: 1000, resolution: 1, description: 'Carbon monoxide' },
    { key: 'o2', table: 'holding', address: 3, type: 'uint16', order: 'ABCD', scale: 0.01, offset: 0, unit: '%vol', min: 0, max: 30, resolution: 0.01, description: 'Oxygen, percent by volume' },
  ],
  status: [
    { key: 'fault_ch4', table: 'holding', address: 4, bit: 0, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'fault', channels: ['ch4'], description: 'CH4 sensor fault' },
    { key: 'fault_h2s', table: 'holding', address: 4, bit: 1, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'fault', channels: ['h2s'], description: 'H2S sensor fault' },
    { key: 'fault_co', table: 'holding', address: 4, bit: 2, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'fault', channels: ['co'], description: 'CO sensor fault' },
    { key: 'fault_o2', table: 'holding', address: 4, bit: 3, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'fault', channels: ['o2'], description: 'O2 sensor fault' },
    { key: 'alarm_1', table: 'holding', address: 4, bit: 8, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'alarm', channels: [], description: 'Detector alarm level 1 (relay 1)' },
    { key: 'alarm_2', table: 'holding', address: 4, bit: 9, type: 'bit', order: 'ABCD', scale: 1, offset: 0, meaning: 'alarm', channels: [], description: 'Detector alarm level 2 (relay 2)' },
  ],
  derived: [],
};
