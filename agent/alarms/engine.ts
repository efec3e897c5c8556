import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { AlarmLevel, AlarmState, NewRecord, StoredRecord } from '../../protocols/records.ts';
import { alarmRecord } from './record.ts';
import { type Phase, recordedState, step } from './transition.ts';
import { type AlarmRule, type AlarmStateSnapshot, DEVICE_RULE } from './types.ts';

export interface AlarmEngineOptions {
  /** Rules of a channel; asked once per (device, channel) and cached. */
  readonly rulesFor: (device: string, channel: string) => readonly AlarmRule[];
  /** Unit of a channel, for records made before any reading of it since start. */
  readonly unitOf?: (device: string, channel: string) => string | undefined;
  /** Stores alarm records (RecordBuffer.append); one call per batch of transitions. */
  readonly sink: (records: NewRecord[]) => Promise<unknown>;
  /** State persisted with the alarm records (RecordBuffer.alarmStates()), read at start(). */
  readonly initial: () => readonly AlarmStateSnapshot[];
  readonly clock: Clock;
  /** Stamped on records made without a reading: acknowledgements and start-up clears. */
  readonly bootId: string;
  /** RECORD_FLAGS for records made without a reading; 0 when omitted. */
  readonly flags?: () => number;
  readonly logger: Logger;
}

export interface ActiveAlarm {
  readonly device: string;
  readonly channel: string;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly threshold: number;
  readonly state: 'raised' | 'acknowledged';
  /** The condition has cleared; the alarm waits for an acknowledgement (latching rules). */
  readonly latched: boolean;
  /** Last value seen on the channel, engineering units. */
  readonly value: number | null;
  /** Wall clock of the last transition, ms since the epoch. */
  readonly ts: number;
}

interface Slot {
  readonly rule: AlarmRule;
  phase: Phase;
  ts: number;
}

interface ChannelState {
  readonly device: string;
  readonly channel: string;
  readonly slots: readonly Slot[];
  unit: string | undefined;
  value: number | null;
}

/**
 * Threshold alarms on committed readings. Feed it the buffer's `committed` events; it ignores
 * alarm records (its own come back that way) and readings of channels without rules. Each
 * transition becomes an alarm record at the reading that caused it, sent to the sink. State is
 * restored from what the buffer persisted, so a restart neither re-raises an active alarm nor
 * forgets a latched one.
 */
export class AlarmEngine {
  private readonly log: Logger;
  /** device → channel → state, null when the channel has no rules (two Map lookups per reading). */
  private readonly states = new Map<string, Map<string, ChannelState | null>>();
  /** Raised alarms whose rule is no longer configured: cleared at start. */
  private readonly orphans: AlarmStateSnapshot[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private running = false;

  constructor(private readonly o: AlarmEngineOptions) {
    this.log = o.logger.child({ component: 'alarms' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.states.clear();
    this.restore(this.o.initial());
    if (this.orphans.length === 0) return;
    const out = this.orphans
      .splice(0)
      .map((s) =>
        alarmRecord(
          { ...this.now(), device: s.device, channel: s.channel, value: s.value, unit: this.o.unitOf?.(s.device, s.channel) ?? '' },
          { rule: s.rule, level: s.level, state: 'cleared', threshold: s.threshold },
        ),
      );
    this.log.info({ alarms: out.length }, 'clearing alarms of rules no longer configured');
    this.emit(out);
  }

  /** Stops evaluating; resolves once the alarm records already handed to the sink are settled. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.inflight]);
  }

  onRecords(records: readonly StoredRecord[]): void {
    if (!this.running) return;
    let out: NewRecord[] | undefined;
    for (const r of records) {
      // Readings without a usable value (comm_error, exception, sensor_fault) change nothing.
      if (r.kind !== 'reading' || r.value === null || (r.quality !== 'good' && r.quality !== 'out_of_range')) continue;
      const ch = this.channelState(r.device, r.channel);
      if (ch === null) continue;
      ch.value = r.value;
      ch.unit = r.unit;
      for (const slot of ch.slots) {
        const next = step(slot.phase, slot.rule, r.value, r.quality);
        if (next === slot.phase) continue;
        const state = recordedState(slot.phase, next);
        slot.phase = next;
        if (state === undefined) continue;
        slot.ts = r.ts;
        (out ??= []).push(this.transition(ch, slot, r, state));
      }
    }
    if (out !== undefined) this.emit(out);
  }

  /**
   * Operator acknowledgement. A latched alarm whose condition has cleared is cleared; an alarm
   * still present is marked acknowledged and clears when its condition does. The record is sent
   * to the sink and returned; undefined when there is nothing to acknowledge.
   */
  acknowledge(device: string, channel: string, rule: string): NewRecord | undefined {
    if (!this.running) return undefined;
    const ch = this.states.get(device)?.get(channel);
    const slot = ch?.slots.find((s) => s.rule.rule === rule);
    if (ch === undefined || ch === null || slot === undefined) return undefined;
    let state: AlarmState;
    if (slot.phase === 'active') {
      slot.phase = 'acknowledged';
      state = 'acknowledged';
    } else if (slot.phase === 'latched') {
      slot.phase = 'normal';
      state = 'cleared';
    } else {
      return undefined;
    }
    const at = { ...this.now(), device, channel, value: ch.value, unit: ch.unit ?? this.o.unitOf?.(device, channel) ?? '' };
    slot.ts = at.ts;
    const record = this.transition(ch, slot, at, state);
    this.emit([record]);
    return record;
  }

  /** Alarms currently raised (acknowledged or not). */
  active(): ActiveAlarm[] {
    const out: ActiveAlarm[] = [];
    for (const channels of this.states.values()) {
      for (const ch of channels.values()) {
        if (ch === null) continue;
        for (const s of ch.slots) {
          if (s.phase === 'normal') continue;
          out.push({
            device: ch.device,
            channel: ch.channel,
            rule: s.rule.rule,
            level: s.rule.level,
            threshold: s.rule.threshold,
            state: s.phase === 'acknowledged' ? 'acknowledged' : 'raised',
            latched: s.phase === 'latched',
            value: ch.value,
            ts: s.ts,
          });
        }
      }
    }
    return out;
  }

  private channelState(device: string, channel: string): ChannelState | null {
    let channels = this.states.get(device);
    if (channels === undefined) {
      channels = new Map();
      this.states.set(device, channels);
    }
    let ch = channels.get(channel);
    if (ch === undefined) {
      const rules = this.o.rulesFor(device, channel);
      ch = rules.length === 0 ? null : { device, channel, slots: rules.map((rule) => ({ rule, phase: 'normal', ts: 0 })), unit: undefined, value: null };
      channels.set(channel, ch);
    }
    return ch;
  }

  private restore(initial: readonly AlarmStateSnapshot[]): void {
    const sorted = [...initial].sort((a, b) => a.seq - b.seq);
    for (const s of sorted) {
      if (s.rule === DEVICE_RULE) continue;
      const ch = this.channelState(s.device, s.channel);
      const slot = ch?.slots.find((x) => x.rule.rule === s.rule);
      if (ch === null || slot === undefined) {
        if (s.state !== 'cleared') this.orphans.push(s);
        continue;
      }
      // A raised alarm restarts as active whether or not it had latched: the next reading
      // moves a latching one to latched, and clears a non-latching one, with a record.
      slot.phase = s.state === 'raised' ? 'active' : s.state === 'acknowledged' ? 'acknowledged' : 'normal';
      slot.ts = s.ts;
      ch.value = s.value;
    }
  }

  private transition(ch: ChannelState, slot: Slot, at: Parameters<typeof alarmRecord>[0], state: AlarmState): NewRecord {
    const { rule } = slot;
    const record = alarmRecord(at, { rule: rule.rule, level: rule.level, state, threshold: rule.threshold });
    const fields = { device: ch.device, channel: ch.channel, rule: rule.rule, level: rule.level, state, value: at.value, threshold: rule.threshold };
    if (state === 'raised') this.log.warn(fields, 'alarm raised');
    else this.log.info(fields, `alarm ${state}`);
    return record;
  }

  private now(): { ts: number; mono: number; bootId: string; flags: number } {
    return { ts: this.o.clock.now(), mono: this.o.clock.monotonic(), bootId: this.o.bootId, flags: this.o.flags?.() ?? 0 };
  }

  private emit(records: NewRecord[]): void {
    let stored: Promise<unknown>;
    try {
      stored = this.o.sink(records);
    } catch (err) {
      stored = Promise.reject(err);
    }
    const done = stored.then(
      () => undefined,
      (err: unknown) => {
        // The buffer is the only place records can go; if it fails the agent's health reports it.
        this.log.error({ err, records: records.length }, 'alarm records not stored');
      },
    );
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }
}
