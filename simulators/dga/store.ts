import type { StoredMeasurement } from './types.ts';

/** Uniform in [0, 1), like Math.random; seed it for reproducible receipts and faults. */
export type Random = () => number;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Receipts are 32 alphanumerics, e.g. zk7DOAl3uIlGTjvwNtwBF0sBLAR16cI5 (Manual Técnico 1/2025). */
export const RECEIPT_LENGTH = 32;

/**
 * What DGA holds: one measurement per (obra, fecha, hora) — a second one is a duplicate whatever
 * its values (docs/dga.md#answers) — and every receipt unique across obras.
 */
export class MeasurementStore {
  private readonly byKey = new Map<string, StoredMeasurement>();
  private readonly byReceipt = new Map<string, StoredMeasurement>();
  private readonly random: Random;
  private nextId = 1;

  constructor(random: Random) {
    this.random = random;
  }

  find(obra: string, fechaIso: string, hora: string): StoredMeasurement | undefined {
    return this.byKey.get(key(obra, fechaIso, hora));
  }

  byReceiptFor(obra: string, receipt: string): StoredMeasurement | undefined {
    const m = this.byReceipt.get(receipt);
    return m !== undefined && m.obra === obra ? m : undefined;
  }

  /** Stores a new measurement under a fresh receipt. The caller has checked for a duplicate. */
  add(m: Omit<StoredMeasurement, 'receipt' | 'id'>): StoredMeasurement {
    const stored: StoredMeasurement = { ...m, receipt: this.newReceipt(), id: this.nextId++ };
    this.byKey.set(key(m.obra, m.fechaMedicion, m.horaMedicion), stored);
    this.byReceipt.set(stored.receipt, stored);
    return stored;
  }

  /** One obra's measurements in the order they were stored. */
  list(obra: string): StoredMeasurement[] {
    return [...this.byKey.values()].filter((m) => m.obra === obra).sort((a, b) => a.id - b.id);
  }

  private newReceipt(): string {
    for (;;) {
      let r = '';
      for (let i = 0; i < RECEIPT_LENGTH; i++) r += ALPHABET[Math.floor(this.random() * ALPHABET.length) % ALPHABET.length];
      if (!this.byReceipt.has(r)) return r;
    }
  }
}

function key(obra: string, fechaIso: string, hora: string): string {
  return `${obra}|${fechaIso}|${hora}`;
}
