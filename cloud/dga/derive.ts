/**
 * Slots of an obra from the relay's records: which slots are due (protocols/dga time.ts, fixed
 * UTC-4 all year), and for each the measurement protocols/dga slots.ts derives from the readings
 * within ±toleranceMs, or `missing` with the reason. Nothing is invented (Res. 2.170 §6.3): a slot
 * without a good reading stays missing and is shown as a transmission failure.
 *
 * Readings come late when a gateway was offline (store-and-forward): a slot is derived once its
 * window has closed (slot + tolerance ≤ now), and missing slots are derived again while recent
 * (recheckMissingMs) whenever the gateway has synced since the last look.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { deriveSlotMeasurement, slotsBetween } from '../../protocols/dga/index.ts';
import type { SlotChannels, SlotReading } from '../../protocols/dga/index.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { DgaStore, SlotInput } from '../store/dga-types.ts';
import type { RelayRecord, RelayStore } from '../store/types.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { DGA_UNITS, toDgaUnit } from './units.ts';
import type { DgaQuantity } from './units.ts';

const PAGE = 10_000;

interface ChannelPlan {
  readonly channel: string;
  readonly slotKey: keyof SlotChannels;
  readonly quantity: DgaQuantity;
  /** Turns the converted value into what DGA gets (water column → level below the surface). */
  readonly map?: (value: number) => number;
}

/** The obra's configured channels and the DGA field each one feeds. */
export function channelPlans(obra: DgaObraConfig): ChannelPlan[] {
  const c = obra.channels;
  const plans: ChannelPlan[] = [];
  if (c.flow !== undefined) plans.push({ channel: c.flow, slotKey: 'caudal', quantity: 'flow' });
  if (c.totalizer !== undefined) plans.push({ channel: c.totalizer, slotKey: 'totalizador', quantity: 'volume' });
  if (c.level !== undefined) plans.push({ channel: c.level, slotKey: 'nivelFreatico', quantity: 'depth' });
  if (c.waterColumn !== undefined) {
    const depth = obra.sensorDepthM ?? 0;
    // Level below the surface = sensor depth − water column above the sensor, clamped at 0 (docs/dga.md#rest-payloads).
    plans.push({ channel: c.waterColumn, slotKey: 'nivelFreatico', quantity: 'depth', map: (column) => Math.max(0, depth - column) });
  }
  if (c.staffGauge !== undefined) plans.push({ channel: c.staffGauge, slotKey: 'alturaLimnimetrica', quantity: 'gauge' });
  return plans;
}

export interface SlotDeriverOptions {
  readonly config: DgaConfig;
  readonly records: RelayStore;
  readonly queue: DgaStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class SlotDeriver {
  private readonly log: Logger;

  constructor(private readonly options: SlotDeriverOptions) {
    this.log = options.logger.child({ component: 'dga-derive' });
  }

  /** Derives the obra's slots that came due since the last call, and missing ones again after a sync. */
  async deriveObra(obra: DgaObraConfig): Promise<{ derived: number; missing: number; recovered: number }> {
    const { queue, records, config, clock } = this.options;
    const now = clock.now();
    await queue.ensureObra(obra.code, now);
    const state = await queue.obraState(obra.code);
    let recovered = 0;
    const gateway = await records.getGateway(obra.gateway);
    const synced = gateway?.lastSeenAt ?? null;
    if (synced !== null && (state?.recheckedAt == null || synced >= state.recheckedAt)) {
      for (const slot of await queue.missingSlots(obra.code, now - config.recheckMissingMs, config.maxSlotsPerTick)) {
        const input = await this.deriveSlot(obra, slot);
        if ('measurement' in input && (await queue.putSlot(input, now))) recovered++;
      }
      await queue.setRecheckedAt(obra.code, now);
    }
    const from = state?.derivedThrough == null ? Date.parse(obra.startAt) : state.derivedThrough + 1;
    const until = now - config.toleranceMs;
    const slots = until >= from ? slotsBetween(from, until, obra.standard, config.maxSlotsPerTick) : [];
    let missing = 0;
    for (const slot of slots) {
      const input = await this.deriveSlot(obra, slot);
      if ('missing' in input) missing++;
      await queue.putSlot(input, now);
    }
    const last = slots[slots.length - 1];
    if (last !== undefined) await queue.setDerivedThrough(obra.code, last);
    if (slots.length > 0 || recovered > 0) this.log.debug({ obra: obra.code, derived: slots.length, missing, recovered }, 'DGA slots derived');
    return { derived: slots.length, missing, recovered };
  }

  /** One slot's measurement, or why there is none. */
  async deriveSlot(obra: DgaObraConfig, slot: number): Promise<SlotInput> {
    const { config, queue } = this.options;
    const channels: Record<string, SlotReading[]> = {};
    const unitProblems: Record<string, string> = {};
    for (const plan of channelPlans(obra)) {
      const { readings, badUnits } = await this.readings(obra, plan, slot);
      channels[plan.slotKey] = readings;
      if (badUnits.size > 0) unitProblems[plan.slotKey] = `unit ${[...badUnits].map((u) => `'${u}'`).join(', ')} of channel ${plan.channel} is not convertible to ${DGA_UNITS[plan.quantity]}`;
    }
    const previousTotal = obra.channels.totalizer === undefined ? undefined : await queue.previousTotal(obra.code, slot);
    const result = deriveSlotMeasurement(channels as SlotChannels, slot, {
      toleranceMs: config.toleranceMs,
      flowDeadband: obra.flowDeadbandLps,
      totalizer: { ...(obra.totalizerWrapAt === undefined ? {} : { wrapAt: obra.totalizerWrapAt }), ...(previousTotal === undefined ? {} : { previousTotal }) },
    });
    if ('measurement' in result) return { obra: obra.code, slot, kind: obra.kind, measurement: result.measurement };
    const reasons = Object.entries(result.missing).map(([field, why]) => `${field}: ${why}${unitProblems[field] === undefined ? '' : ` (${unitProblems[field]})`}`);
    return { obra: obra.code, slot, kind: obra.kind, missing: reasons.join('; ') };
  }

  /** The channel's readings within ±tolerance of the slot, in DGA units, on the relay's corrected clock. */
  private async readings(obra: DgaObraConfig, plan: ChannelPlan, slot: number): Promise<{ readings: SlotReading[]; badUnits: Set<string> }> {
    const tol = this.options.config.toleranceMs;
    const out: SlotReading[] = [];
    const badUnits = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.options.records.queryRecords({
        gateway: obra.gateway, device: obra.device, channel: plan.channel, kind: 'reading', from: slot - tol, to: slot + tol + 1, limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const r of page.items) {
        const reading = this.convert(r, plan);
        if (reading === 'bad-unit') badUnits.add(r.unit);
        else if (reading !== undefined) out.push(reading);
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return { readings: out, badUnits };
  }

  private convert(r: RelayRecord, plan: ChannelPlan): SlotReading | 'bad-unit' | undefined {
    // Taken with an unsynchronized clock in a boot the relay could not place: its time is unknown.
    if ((r.flags & RECORD_FLAGS.clockUnsynced) !== 0 && r.tsCorrected === null) return undefined;
    const ts = r.tsCorrected ?? r.ts;
    if (r.value === null) return { ts, value: null, quality: r.quality };
    const converted = toDgaUnit(plan.quantity, r.value, r.unit);
    if (converted === undefined) return 'bad-unit';
    return { ts, value: plan.map === undefined ? converted : plan.map(converted), quality: r.quality };
  }
}
