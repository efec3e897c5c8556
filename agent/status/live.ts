import type { StoredRecord } from '../../protocols/records.ts';
import { SeriesRing } from './series.ts';
import type { StatusBuffer } from './sources.ts';

export interface LiveViewOptions {
  /** Points kept per channel for /api/series. */
  readonly seriesLength: number;
  /** Alarm records kept for /api/alarms. */
  readonly recentAlarms: number;
}

interface Channel {
  latest: StoredRecord;
  readonly series: SeriesRing;
}

/** Rows read per query while looking for the newest alarm records at start. */
const ALARM_PAGE = 500;

/**
 * What the page shows of the records, kept in memory from the buffer's commits so no API call
 * queries SQLite per channel: the latest reading of each (device, channel), a short series of
 * each, and the newest alarm records.
 */
export class LiveView {
  /** device → channel → state; insertion order is the order channels were first seen. */
  private readonly devices = new Map<string, Map<string, Channel>>();
  private alarms: StoredRecord[] = [];

  constructor(private readonly o: LiveViewOptions) {}

  /** Seed from what the buffer already holds: each channel's latest reading and the newest alarm records. */
  seed(buffer: StatusBuffer): void {
    this.devices.clear();
    for (const r of buffer.latest()) this.channel(r).latest = r;
    const kept: StoredRecord[] = [];
    for (let after = 0; ; ) {
      const page = buffer.readAfter(after, ALARM_PAGE, 'alarm');
      kept.push(...page);
      if (kept.length > this.o.recentAlarms) kept.splice(0, kept.length - this.o.recentAlarms);
      if (page.length < ALARM_PAGE) break;
      after = page[page.length - 1]!.seq;
    }
    this.alarms = kept.reverse();
  }

  /** A batch the buffer committed (ascending seq). */
  add(records: readonly StoredRecord[]): void {
    for (const r of records) {
      if (r.kind === 'alarm') {
        this.alarms.unshift(r);
        continue;
      }
      const ch = this.channel(r);
      ch.latest = r;
      if (r.value !== null) ch.series.push(r.ts, r.value);
    }
    if (this.alarms.length > this.o.recentAlarms) this.alarms.length = this.o.recentAlarms;
  }

  deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  /** Latest reading of each channel of a device, in the order the channels were first seen. */
  latest(device: string): StoredRecord[] {
    const channels = this.devices.get(device);
    return channels === undefined ? [] : [...channels.values()].map((c) => c.latest);
  }

  series(device: string, channel: string): { unit: string; points: Array<[number, number]> } | undefined {
    const ch = this.devices.get(device)?.get(channel);
    return ch === undefined ? undefined : { unit: ch.latest.unit, points: ch.series.points() };
  }

  /** Newest first. */
  recentAlarms(): StoredRecord[] {
    return this.alarms.slice();
  }

  private channel(r: StoredRecord): Channel {
    let channels = this.devices.get(r.device);
    if (channels === undefined) {
      channels = new Map();
      this.devices.set(r.device, channels);
    }
    let ch = channels.get(r.channel);
    if (ch === undefined) {
      ch = { latest: r, series: new SeriesRing(this.o.seriesLength) };
      channels.set(r.channel, ch);
    }
    return ch;
  }
}
