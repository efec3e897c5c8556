import type { Agent } from '../agent/main.ts';
import type { Relay } from '../cloud/main.ts';
import type { StoredRecord } from '../protocols/records.ts';
import type { Bench } from './demo-bench.ts';
import { DEMO_OBRA } from './demo-dga.ts';
import { LORA_GATEWAY, LORA_OBRA, loraSummary } from './demo-providers.ts';

const SHOWN = new Set(['ch4', 'h2s', 'co', 'o2', 'alarm_1', 'alarm_2', 'flow', 'totalizer', 'level']);

/** The compact live view printed every few seconds: buffer, sync, alarms, latest values per device. */
export function summary(agent: Agent): string {
  const byDevice = new Map<string, StoredRecord[]>();
  for (const r of agent.buffer.latest()) {
    if (!SHOWN.has(r.channel)) continue;
    byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
  }
  const s = agent.buffer.stats();
  const sync = agent.sync?.status();
  const lines = [...byDevice]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([device, rs]) =>
        `  ${device.padEnd(9)} ${rs.map((r) => `${r.channel}=${r.value ?? '-'}${r.unit}${r.quality === 'good' ? '' : `(${r.quality})`}`).join('  ')}`,
    );
  const alarms = agent.alarms.active().map((a) => `${a.device}/${a.channel} ${a.rule} ${a.level}${a.latched ? ' (latched)' : ''}`);
  const synced = sync === undefined ? 'off' : `${sync.state}, ${sync.sentRecords} sent${sync.lastError !== null ? `, last error ${sync.lastError}` : ''}`;
  return `[${new Date().toISOString()}] buffer: ${s.count} unsent records, last seq ${s.lastSeq}; sync: ${synced}; alarms: ${alarms.join(', ') || 'none'}\n${lines.join('\n')}\n`;
}

/** The relay's side in one line: the latest anchor batches and the DGA obra's reports. */
export async function relaySummary(relay: Relay): Promise<string> {
  const batches = (await relay.anchor?.batches({ limit: 3 })) ?? [];
  const anchors = batches.map((b) => `#${b.id} ${b.status} (${b.size} records${b.blockNumber === null ? '' : `, block ${b.blockNumber}`})`).join(', ');
  const [obra] = (await relay.dga?.status(DEMO_OBRA)) ?? [];
  const last = obra?.lastAccepted == null ? '' : `, last ${obra.lastAccepted.slot} receipt ${obra.lastAccepted.receipt ?? '-'}`;
  const dga = obra === undefined ? 'off' : `${obra.obra} ${obra.counts.accepted} accepted, ${obra.counts.pending} queued${last}`;
  return `  relay: anchor batches ${anchors || 'none yet'}; dga ${dga}; alerts ${await alertsSummary(relay)}\n${await loraSummary(relay)}`;
}

/** Open and closed alerts (by kind) and their messages per outbox state, over the latest 1000. */
async function alertsSummary(relay: Relay): Promise<string> {
  if (relay.alerts === undefined) return 'off';
  const all = await relay.alerts.list(undefined, 1000);
  const count = (rows: readonly { kind: string }[]): string => {
    const by = new Map<string, number>();
    for (const r of rows) by.set(r.kind, (by.get(r.kind) ?? 0) + 1);
    return [...by].map(([k, n]) => `${n} ${k}`).join(', ') || '0';
  };
  const deliveries = new Map<string, number>();
  for (const a of all) for (const [state, n] of Object.entries(a.deliveries)) deliveries.set(state, (deliveries.get(state) ?? 0) + n);
  const sent = [...deliveries].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
  return `${count(all.filter((a) => a.state === 'open'))} open, ${count(all.filter((a) => a.state === 'closed'))} closed; messages ${sent}`;
}

/** What runs where, with the demo's tokens: printed once the bench is up. */
export function banner(b: Bench, anchorSchedule: string): string {
  const { relay, chain, dga, pty } = b;
  // DGA's clock is fixed UTC-4 (protocols/dga/time.ts).
  const hour = new Date(dga.firstSlot - 4 * 3_600_000).toISOString().slice(11, 16);
  return `Atalaya demo
  status page           ${b.statusUrl}/  token ${b.statusToken}
  relay dashboard       ${relay.url}/dashboard/  operator token ${relay.token}
  metrics               ${b.statusUrl}/metrics (status token) · ${relay.url}/metrics (operator token)
                        curl -H 'Authorization: Bearer ${relay.token}' ${relay.url}/metrics
  modbus tcp simulator  127.0.0.1:${b.tcpSim.tcpPort}  (1 gas detector, 2 flowmeter: the scenario drives them)
  modbus rtu simulator  ${pty ? `${pty.b} ⇄ ${pty.a}, 19200 baud, wire-time delays (1 gas detector: sensor-fault, 2 flowmeter: level-changes)` : 'not started: install socat'}
  mqtt broker           mqtt://127.0.0.1:${b.mqttPort}  (gaslyt-01 publishes every second; GL-0042 its own JSON on gaslyt/GL-0042/data, mapped to device gaslyt-GL-0042)
                        watch: mosquitto_sub -h 127.0.0.1 -p ${b.mqttPort} -u viewer -P ${b.viewerPassword} -t 'atalaya/demo-gw/#' -v
  agent buffer          ${b.agent.config.buffer.path}
  relay                 ${relay.url}  (SQLite beside the buffer; the agent reaches it through the link 127.0.0.1:${b.link.port})
                        curl -H 'Authorization: Bearer ${relay.token}' '${relay.url}/v1/readings?limit=5'
  notify simulator      ${b.notify.url}/  (messages caught: GET ${b.notify.url}/messages)
                        smtp catcher ${b.notify.smtp}, webhook receiver ${b.notify.webhook} (signature checked)
                        the relay's alerts: gas alarms of demo-gw and its silence → group guardia (email + webhook); ack links in the messages
  dga simulator         ${dga.url}  obra ${DEMO_OBRA}, a well fed by flow-tcp: hourly; the first report, for ${hour} (UTC-4), leaves a minute after it
  lorawan (tts sim)     a flowmeter posting through The Things Stack to ${relay.url}/v1/sources/lora/tts every ${b.lora.periodMs / 1000} s → ${LORA_GATEWAY}, obra ${LORA_OBRA}
  anvil                 ${typeof chain === 'string' ? `not started, no anchoring: ${chain}` : `${chain.anvil.url}  chain ${chain.anvil.chainId}, AtalayaAnchor ${chain.contract}${chain.fresh ? ' (deployed now)' : ''}; a batch anchored on '${anchorSchedule}'`}
  Ctrl-C to stop.
`;
}
