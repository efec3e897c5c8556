import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../agent/metrics/index.ts';
import { createRelayMetrics } from '../../cloud/metrics/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';

/**
 * The Grafana dashboards in deploy/grafana must not drift from the code: every metric their
 * PromQL names is one the process registers, every label they match or group by is one that
 * metric carries, and the JSON is an importable dashboard with a Prometheus datasource input.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const load = (name: string): Dashboard => JSON.parse(readFileSync(path.join(root, 'deploy/grafana', name), 'utf8')) as Dashboard;

interface Target {
  expr?: string;
  legendFormat?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; definition?: string; datasource?: { uid?: string } }> };
}

/** Metric name → its label names, histogram series included. */
function catalogue(registry: Registry): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of registry.getMetricsAsArray()) {
    const labels = new Set([...((m as unknown as { labelNames: string[] }).labelNames ?? []), 'instance', 'job']);
    out.set(m.name, labels);
    if (String(m.type) === 'histogram') {
      out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    }
  }
  return out;
}

const agentMetrics = catalogue(
  createAgentMetrics({
    buffer: {
      stats: () => ({
        count: 0,
        bytes: 0,
        oldestTs: null,
        lastSeq: 0,
        evicted: { ordinary: 0, dga: 0, alarm: 0 },
        pending: 0,
        health: { state: 'writable', failedCommits: 0, lostRecords: 0, lastErrorCode: null, since: null, freeBytes: null, reserveActive: false },
      }),
    },
    sync: () => null,
    broker: () => null,
    alarms: () => [],
    devices: () => [],
    links: () => [],
  }).registry,
);
const relayMetrics = catalogue(createRelayMetrics({ store: { listGateways: async () => [] }, clock: systemClock, logger: testLogger() }).registry);

const flat = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
const queries = (d: Dashboard): string[] => [
  ...flat(d.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
  ...d.templating.list.map((v) => v.definition ?? ''),
];
const METRIC_PREFIX = /\b(?:atalaya|process|nodejs)_[a-zA-Z0-9_:]*/g;

/** Problems of one PromQL expression against the registered metrics. */
function check(expr: string, metrics: ReadonlyMap<string, ReadonlySet<string>>, legend = ''): string[] {
  const problems: string[] = [];
  const named = new Set([...expr.matchAll(METRIC_PREFIX)].map((m) => m[0]));
  for (const [, name] of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)) named.add(name!);
  if (named.size === 0) problems.push(`${expr}: names no metric`);
  const allowed = new Set<string>();
  for (const name of named) {
    const labels = metrics.get(name);
    if (labels === undefined) problems.push(`${expr}: ${name} is not registered`);
    else for (const l of labels) allowed.add(l);
  }
  for (const [, name, matchers] of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    for (const [, label] of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      if (metrics.get(name!)?.has(label!) === false) problems.push(`${expr}: ${name} has no label ${label}`);
    }
  }
  for (const [, group] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const label of group!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      if (!allowed.has(label)) problems.push(`${expr}: grouped by unknown label ${label}`);
  }
  for (const [, label] of legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g))
    if (!allowed.has(label!)) problems.push(`${expr}: legend uses unknown label ${label}`);
  return problems;
}

describe.each([
  [
    'atalaya-agent.json',
    agentMetrics,
    [
      'atalaya_modbus_polls_total',
      'atalaya_modbus_errors_total',
      'atalaya_modbus_poll_duration_seconds_bucket',
      'atalaya_modbus_link_connected',
      'atalaya_buffer_records',
      'atalaya_buffer_bytes',
      'atalaya_buffer_oldest_age_seconds',
      'atalaya_buffer_evicted_total',
      'atalaya_sync_lag_records',
      'atalaya_sync_last_ack_age_seconds',
      'atalaya_sync_sent_records_total',
      'atalaya_sync_sent_bytes_total',
      'atalaya_sync_consecutive_failures',
      'atalaya_mqtt_clients',
      'atalaya_mqtt_messages_total',
      'atalaya_alarms_active',
    ],
  ],
  [
    'atalaya-relay.json',
    relayMetrics,
    [
      'atalaya_relay_ingest_requests_total',
      'atalaya_relay_records_stored_total',
      'atalaya_relay_gateways',
      'atalaya_relay_gateway_last_seen_age_seconds',
      'atalaya_relay_gateway_clock_offset_seconds',
      'atalaya_dga_submissions',
      'atalaya_anchor_batches',
      'atalaya_anchor_pending_batches',
      'atalaya_anchor_last_gas_used',
      'atalaya_anchor_gas_used_total',
      'atalaya_anchor_errors_total',
    ],
  ],
] as const)('Grafana dashboard %s', (file, metrics, required) => {
  const dashboard = load(file);

  it('is an importable dashboard with a Prometheus datasource input', () => {
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }));
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const panels = flat(dashboard.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((q) => q.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid, v.name).toBe('${DS_PROMETHEUS}');
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const boxes = flat(dashboard.panels).map((p) => ({ title: p.title, ...p.gridPos }));
    for (const b of boxes) expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} / ${b.title}`).toBe(false);
      }
    }
  });

  it('queries only metrics and labels the code registers', () => {
    const problems = [
      ...flat(dashboard.panels).flatMap((p) => (p.targets ?? []).flatMap((t) => check(t.expr ?? '', metrics, t.legendFormat))),
      ...dashboard.templating.list.flatMap((v) => check(v.definition ?? '', metrics)),
    ];
    expect(problems).toEqual([]);
  });

  it('has a panel for every metric of the spec', () => {
    const text = queries(dashboard).join('\n');
    expect(required.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))).toEqual([]);
  });
});

it('the dashboard check catches a renamed metric, an unknown label and a stray legend', () => {
  expect(check('rate(atalaya_modbus_polls_total{device="x"}[5m])', agentMetrics, '{{device}}')).toEqual([]);
  expect(check('rate(atalaya_modbus_poll_total[5m])', agentMetrics)).toHaveLength(1);
  expect(check('atalaya_buffer_records{device="x"}', agentMetrics)).toHaveLength(1);
  expect(check('sum by (nope) (atalaya_buffer_records)', agentMetrics)).toHaveLength(1);
  expect(check('atalaya_buffer_records', agentMetrics, '{{gateway}}')).toHaveLength(1);
  expect(check('atalaya_relay_gateways', agentMetrics)).toHaveLength(1);
});
