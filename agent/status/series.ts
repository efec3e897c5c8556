/**
 * The last `capacity` (ts, value) points of one channel, for the page's chart. Two typed arrays
 * used as a ring: 16 bytes a point, no allocation per reading.
 */
export class SeriesRing {
  private readonly ts: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(ts: number, value: number): void {
    this.ts[this.next] = ts;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  get length(): number {
    return this.size;
  }

  /** Oldest first. */
  points(): Array<[number, number]> {
    const out = new Array<[number, number]>(this.size);
    const first = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const k = (first + i) % this.capacity;
      out[i] = [this.ts[k]!, this.values[k]!];
    }
    return out;
  }
}
