/**
 * What an MQTT mapping costs per message beside Atalaya's own schema (issue 17 §5 figure):
 *  1. the ingest handler alone, in this process: native telemetry (ingest.ts), a GASLYT-style JSON
 *     through a JSON mapping, a Sparkplug B DDATA (aliases only) through a Sparkplug mapping, each
 *     to a sink that resolves at once: CPU µs per message of parsing, mapping and the record check;
 *  2. a real agent process per format, N mqtt.js publishers in child processes (mqtt.ts'
 *     machinery), QoS 1 acknowledged after the buffer commit: msg/s and agent CPU µs per message.
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/mqtt-mapping.ts [seconds per point].
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ingest } from '../../agent/broker/ingest.ts';
import { MappedIngest } from '../../agent/broker/mapping-ingest.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import { fmt, machineLine, out } from './common.ts';
import { agentConfig, countIngested, PASSWORD, Publishers, startAgent } from './mqtt.ts';
import { BENCH_MAPPINGS, PAYLOAD_FORMATS, type PayloadFormat, stream } from './mqtt-payloads.ts';

const HANDLER_MESSAGES = 100_000;
const WARMUP_MESSAGES = 10_000;
const PUBLISHERS = 10;

async function handlerCost(format: PayloadFormat): Promise<{ usPerMsg: number; stored: number }> {
  const sink = (): Promise<number[]> => Promise.resolve([]);
  const common = { maxPayloadBytes: 16_384, sink, clock: systemClock, bootId: 'bench', flags: () => 0 };
  const mappings = brokerConfigSchema.parse({ mappings: BENCH_MAPPINGS }).mappings;
  const handler = format === 'native' ? new Ingest({ ...common, topicPrefix: 'atalaya' }) : new MappedIngest({ ...common, mappings });
  const s = stream(format, 'dev-1');
  for (const m of s.preamble) await handler.handle(m.topic, m.payload);
  const payloads = Array.from({ length: HANDLER_MESSAGES + WARMUP_MESSAGES }, (_, i) => {
    const p = s.payload(i);
    return typeof p === 'string' ? Buffer.from(p) : p;
  });
  let stored = 0;
  for (let i = 0; i < WARMUP_MESSAGES; i++) await handler.handle(s.topic, payloads[i] as Buffer);
  const before = process.cpuUsage();
  for (let i = WARMUP_MESSAGES; i < payloads.length; i++) {
    const outcome = await handler.handle(s.topic, payloads[i] as Buffer);
    if (outcome.status === 'stored') stored += outcome.records;
  }
  const used = process.cpuUsage(before);
  return { usPerMsg: (used.user + used.system) / HANDLER_MESSAGES, stored };
}

export async function main(seconds = 5): Promise<void> {
  out(machineLine());
  out(
    `mqtt mapping cost, 1. the ingest handler alone (this process, sink resolving at once, ${fmt(HANDLER_MESSAGES)} messages after ${fmt(WARMUP_MESSAGES)} of warm-up):`,
  );
  const handler: Partial<Record<PayloadFormat, number>> = {};
  for (const format of PAYLOAD_FORMATS) {
    const r = await handlerCost(format);
    handler[format] = r.usPerMsg;
    const vs = format === 'native' ? '' : `, ${fmt(r.usPerMsg / (handler.native ?? NaN), 2)} × native`;
    out(`  ${format.padEnd(9)} ${fmt(r.usPerMsg, 2).padStart(6)} µs/msg CPU${vs}  (${fmt(r.stored)} records)`);
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-mqtt-mapping-'));
  const publishers = new Publishers();
  const agents: { stop(): Promise<void> }[] = [];
  try {
    const hash = await hashPassword(PASSWORD);
    out(
      `mqtt mapping cost, 2. a real agent (own process, durability normal), ${PUBLISHERS} mqtt.js publishers in 2 child processes, 100 QoS 1 messages in flight each,`,
    );
    out(`  1 s warm-up then ${seconds} s counted, one reading per message; CPU of the agent process in the counted window:`);
    let native: number | undefined;
    for (const format of PAYLOAD_FORMATS) {
      const agentDir = mkdtempSync(path.join(dir, `agent-${format}-`));
      const agent = await startAgent(agentDir, 'agent', agentConfig(hash, 1, undefined, []));
      agents.push(agent);
      const f = await publishers.run(agent, PUBLISHERS, seconds * 1000, true, format);
      await agent.stop();
      const stored = countIngested(path.join(agentDir, 'buffer.db'));
      const us = (f.cpu * seconds * 1e6) / Math.max(1, f.window);
      native ??= us;
      const vs = format === 'native' ? '' : `, ${fmt(us / native, 2)} × native`;
      out(
        `  ${format.padEnd(9)} ${fmt(f.window / seconds).padStart(6)} msg/s durable, agent CPU ${fmt(f.cpu * 100)} % = ${fmt(us, 1)} µs/msg${vs}; buffer ${fmt(stored)} records ${stored >= f.acked ? '≥' : '< (LOST)'} ${fmt(f.acked)} acked${f.failed > 0 ? `, ${f.failed} failed` : ''}`,
      );
    }
  } finally {
    await publishers.stop().catch(() => undefined);
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 5));
}
