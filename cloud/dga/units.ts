/**
 * Readings arrive in the unit their device profile gives (protocols/profiles: flow L/s, totalizer
 * m3, water column m); DGA wants l/s, m³, m and cm (Manual Técnico N°1/2025 §4). A unit not listed
 * here is never guessed at: the reading is set aside and the slot reports why.
 */

export type DgaQuantity = 'flow' | 'volume' | 'depth' | 'gauge';

/** Factor from each accepted unit to the DGA unit of the quantity. Keys are normalized (normalizeUnit). */
const FACTORS: Readonly<Record<DgaQuantity, Readonly<Record<string, number>>>> = {
  // → l/s
  flow: { 'l/s': 1, lps: 1, 'l/min': 1 / 60, 'm3/h': 1000 / 3600, 'm3/s': 1000 },
  // → m³
  volume: { m3: 1, l: 0.001, dm3: 0.001 },
  // → m
  depth: { m: 1, cm: 0.01, mm: 0.001 },
  // → cm
  gauge: { cm: 1, m: 100, mm: 0.1 },
};

export const DGA_UNITS: Readonly<Record<DgaQuantity, string>> = { flow: 'l/s', volume: 'm³', depth: 'm', gauge: 'cm' };

/** `M³/h ` → `m3/h`. */
export function normalizeUnit(unit: string): string {
  return unit.trim().toLowerCase().replace(/³/g, '3').replace(/\s+/g, '');
}

/** `value` in the DGA unit of `quantity`, or undefined when `unit` is not one this quantity accepts. */
export function toDgaUnit(quantity: DgaQuantity, value: number, unit: string): number | undefined {
  const factor = FACTORS[quantity][normalizeUnit(unit)];
  return factor === undefined ? undefined : value * factor;
}
