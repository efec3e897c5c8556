/**
 * `npm run bench`: every benchmark in turn, each in its own process so one's heap does not show
 * in another's figures. Each prints its figures and the machine it ran on; nothing is asserted.
 * Builds dist/ first: the footprint figure is the compiled agent a Pi runs.
 */
import { spawnSync } from 'node:child_process';
import { out } from './common.ts';

function run(title: string, command: string, args: readonly string[]): void {
  out(`\n== ${title}`);
  const r = spawnSync(command, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${title}: exit ${r.status ?? r.signal}`);
}

run('build', 'npm', ['run', '--silent', 'build']);
for (const [title, file, ...rest] of [
  ['buffer ingest', 'test/bench/buffer-ingest.ts'],
  ['sync wire size and codec speed', 'test/bench/sync-wire.ts'],
  ['relay ingest path: µs per reading outside the store (signature, inflate, decode, hash)', 'test/bench/relay-ingest-path.ts'],
  ['fleet channel: bytes per health report and idle hour, relay CPU for 1,000 gateways', 'test/bench/fleet-wire.ts'],
  ['Modbus TCP', 'test/bench/modbus-tcp.ts'],
  ['Modbus RTU with wire-time delays', 'test/bench/modbus-rtu.ts'],
  ['agent footprint', 'test/bench/agent-rss.ts'],
  ['agent footprint, the linux-arm64 release under qemu-aarch64', 'test/bench/agent-rss.ts', '30', 'arm64'],
  ['MQTT ingest and fan-out', 'test/bench/mqtt.ts'],
  ['MQTT mapping cost per message: JSON and Sparkplug B beside the native schema', 'test/bench/mqtt-mapping.ts'],
  ['relay: agent → relay end to end, backlog drain, 100 gateways', 'test/bench/relay.ts'],
  ['DGA: slot derivation for 1,000 obras × 1 year, sends per hour against the DGA double', 'test/bench/dga.ts'],
  ['Ethereum anchoring: gas per anchor, proof sizes, 1M-record tree', 'test/bench/anchor.ts'],
  ['DGA evidence pack: one obra × one year (8,760 slots), time and size', 'test/bench/evidence.ts'],
  ['alerts: alarm → webhook latency, outbox throughput, storm reduction', 'test/bench/alerts.ts'],
  ['provider sources: TTS webhook uplinks/s, Tago and HTTP/CSV pull records/s', 'test/bench/providers.ts'],
  ['organizations: GET /v1/readings with the organization filter, 10 orgs × 100 gateways × 1M records', 'test/bench/relay-org-reads.ts'],
  ['update download: bytes on the wire for a download cut at 50 % and resumed', 'test/bench/update-resume.ts'],
] as const) {
  run(title, process.execPath, ['bin/run-ts.mjs', file, ...rest]);
}
