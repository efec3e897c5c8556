// The header: gateway identity, clock, system, sync and buffer figures (GET /api/overview and the
// `overview` event every 2 s). Ages are repainted every second from the last answer.
import { ageOf, fmtAge, fmtBytes, fmtCount, fmtDuration, gatewayNow, h, observeGatewayNow, setText } from './dom.js';

const GROUPS = [
  [
    'Gateway',
    [
      ['uptime', 'Uptime'],
      ['cpu-temp', 'CPU temp'],
      ['load', 'Load (1 min)'],
      ['memory', 'Memory'],
      ['disk', 'Disk'],
    ],
  ],
  [
    'Sync to relay',
    [
      ['sync-state', 'State'],
      ['sync-last-ack', 'Last ack'],
      ['sync-lag', 'Lag'],
      ['sync-error', 'Last error'],
      ['sync-bytes', 'Sent'],
    ],
  ],
  [
    'Buffer',
    [
      ['buffer-records', 'Records'],
      ['buffer-oldest', 'Oldest unsent'],
      ['buffer-bytes', 'On disk'],
      ['buffer-evicted', 'Evicted'],
      ['buffer-health', 'Writes'],
    ],
  ],
  [
    'MQTT broker',
    [
      ['mqtt-clients', 'Clients'],
      ['mqtt-stored', 'Stored'],
    ],
  ],
  [
    'Local paging',
    [
      ['paging-state', 'State'],
      ['paging-last', 'Last page'],
      ['paging-error', 'Last error'],
    ],
  ],
];

const tiles = new Map();
let groupEls = [];
let last = null;

/** Builds the tiles once into `root` (the #overview section). */
export function mountOverview(root) {
  groupEls = GROUPS.map(([title, items]) => {
    const grid = h('div', { class: 'tiles' });
    for (const [key, label] of items) {
      const value = h('span', { class: 'tile-value', testid: `overview-${key}` });
      const sub = h('span', { class: 'tile-sub', testid: `overview-${key}-sub` });
      const tile = h('div', { class: 'tile' }, h('span', { class: 'tile-label', text: label }), value, sub);
      tiles.set(key, { tile, value, sub });
      grid.append(tile);
    }
    const group = h('div', { class: 'tile-group' }, h('h2', { text: title }), grid);
    root.append(group);
    return group;
  });
}

function put(key, text, sub = '', level = 'ok') {
  const t = tiles.get(key);
  if (!t) return;
  setText(t.value, text);
  setText(t.sub, sub);
  if (t.tile.dataset.level !== level) t.tile.dataset.level = level;
}

export function renderOverview(overview) {
  last = overview;
  observeGatewayNow(overview.gateway.now);
  paintOverview();
}

/** Repaints from the last answer (called every second for ages). */
export function paintOverview() {
  if (!last) return;
  const { gateway, system, buffer, sync, mqtt, paging } = last;
  setText(document.getElementById('gateway-id'), gateway.id);
  setText(document.getElementById('gateway-version'), `v${gateway.version}`);
  document.getElementById('clock-warning').hidden = gateway.clockSynced !== false;
  document.getElementById('clock-state').dataset.synced = String(gateway.clockSynced === true);
  setText(document.getElementById('clock-state'), gateway.clockSynced ? 'clock synced' : 'CLOCK NOT SYNCED');

  const uptimeMs = gateway.uptimeS * 1000 + Math.max(0, gatewayNow() - gateway.now);
  put('uptime', fmtDuration(uptimeMs), `OS up ${fmtDuration(system.osUptimeS * 1000)}`);
  paintSystem(system);
  paintSync(sync);
  paintBuffer(buffer);
  groupEls[3].hidden = !mqtt;
  if (mqtt) {
    const refused = Object.values(mqtt.refused ?? {}).reduce((a, b) => a + b, 0);
    put('mqtt-clients', fmtCount(mqtt.clients), `${mqtt.published} published`);
    put('mqtt-stored', fmtCount(mqtt.stored), `${mqtt.duplicates} duplicates · ${refused} refused`, refused > 0 ? 'warn' : 'ok');
  }
  groupEls[4].hidden = !paging;
  if (paging) paintPaging(paging);
}

/** Local paging (agent/paging): pending pages, the last one sent, failures. */
function paintPaging(paging) {
  const sent = Object.values(paging.sent ?? {}).reduce((a, b) => a + b, 0);
  const failed = Object.values(paging.failed ?? {}).reduce((a, b) => a + b, 0);
  put(
    'paging-state',
    paging.pending > 0 ? `${paging.pending} pending` : 'idle',
    `${paging.channels.join(', ')} · ${sent} sent · ${failed} failed`,
    paging.consecutiveFailures > 0 ? 'bad' : paging.pending > 0 ? 'warn' : 'ok',
  );
  const lp = paging.lastPage;
  put('paging-last', lp ? fmtAge(lp.at) : 'never', lp ? `${lp.device} ${lp.channel} ${lp.rule} ${lp.state}` : '');
  const err = paging.lastError;
  put(
    'paging-error',
    err ? err.code.replace('ATALAYA_PAGING_', '').toLowerCase().replaceAll('_', ' ') : 'none',
    err ? `${paging.consecutiveFailures} failures in a row · ${err.detail}` : '',
    paging.consecutiveFailures > 0 ? 'bad' : 'ok',
  );
}

function paintSystem(system) {
  const temp = system.cpuTempC;
  put('cpu-temp', temp === null ? 'n/a' : `${temp.toFixed(1)} °C`, '', temp === null ? 'ok' : temp >= 85 ? 'bad' : temp >= 75 ? 'warn' : 'ok');
  put('load', Number.isFinite(system.load1) ? system.load1.toFixed(2) : '—');
  const used = system.memTotalBytes - system.memAvailableBytes;
  const memPct = system.memTotalBytes > 0 ? (used / system.memTotalBytes) * 100 : 0;
  put(
    'memory',
    `${memPct.toFixed(0)} %`,
    `${fmtBytes(used)} of ${fmtBytes(system.memTotalBytes)} · agent ${fmtBytes(system.rssBytes)}`,
    memPct >= 95 ? 'bad' : memPct >= 85 ? 'warn' : 'ok',
  );
  const disk = system.disk;
  if (!disk) {
    put('disk', 'n/a');
  } else {
    const freePct = disk.totalBytes > 0 ? (disk.freeBytes / disk.totalBytes) * 100 : 100;
    put(
      'disk',
      `${fmtBytes(disk.freeBytes)} free`,
      `${(100 - freePct).toFixed(0)} % used of ${fmtBytes(disk.totalBytes)} (${disk.path})`,
      freePct < 3 ? 'bad' : freePct < 10 ? 'warn' : 'ok',
    );
  }
}

const SYNC_LEVEL = { idle: 'ok', sending: 'ok', backoff: 'warn', refused: 'bad', stopped: 'warn' };

function paintSync(sync) {
  if (!sync) {
    put('sync-state', 'disabled', 'no sync: section configured', 'warn');
    for (const key of ['sync-last-ack', 'sync-lag', 'sync-error', 'sync-bytes']) put(key, '—');
    return;
  }
  const next = sync.nextAttemptAt === null ? '' : `next try in ${fmtDuration(Math.max(0, sync.nextAttemptAt - gatewayNow()))}`;
  put('sync-state', sync.state, next, SYNC_LEVEL[sync.state] ?? 'warn');
  const ackAge = ageOf(sync.lastAckAt);
  const behind = sync.lagRecords > 0;
  const ackLevel = ackAge === null ? (behind ? 'warn' : 'ok') : !behind ? 'ok' : ackAge > 3_600_000 ? 'bad' : ackAge > 300_000 ? 'warn' : 'ok';
  put('sync-last-ack', sync.lastAckAt === null ? 'never' : fmtAge(sync.lastAckAt), '', ackLevel);
  put(
    'sync-lag',
    `${sync.lagRecords}`,
    sync.quarantinedRecords > 0 ? `${sync.quarantinedRecords} quarantined` : 'records not acknowledged',
    sync.quarantinedRecords > 0 ? 'warn' : 'ok',
  );
  put(
    'sync-error',
    sync.lastError ?? 'none',
    sync.consecutiveFailures > 0 ? `${sync.consecutiveFailures} failures in a row` : '',
    sync.lastError ? 'bad' : 'ok',
  );
  put('sync-bytes', fmtBytes(sync.sentBytes), `${sync.sentRecords} records since start`);
}

function paintBuffer(buffer) {
  put('buffer-records', fmtCount(buffer.count), buffer.pending > 0 ? `${buffer.pending} pending commit` : `last seq ${buffer.lastSeq}`);
  put('buffer-oldest', buffer.oldestTs === null ? 'none' : fmtDuration(ageOf(buffer.oldestTs)), buffer.oldestTs === null ? '' : 'old');
  put('buffer-bytes', fmtBytes(buffer.bytes));
  const evicted = buffer.evicted ?? {};
  const total = Object.values(evicted).reduce((a, b) => a + b, 0);
  const detail = Object.entries(evicted)
    .map(([cls, n]) => `${cls} ${n}`)
    .join(' · ');
  put('buffer-evicted', fmtCount(total), detail, (evicted.alarm ?? 0) > 0 ? 'bad' : total > 0 ? 'warn' : 'ok');
  paintBufferHealth(buffer.health);
}

const BUFFER_PROBLEM = {
  disk_full: 'Buffer cannot write: disk full — readings are being lost',
  io_error: 'Buffer cannot write: storage error — readings are being lost',
};

/** The buffer's write state (issue 19): a banner while commits fail, a tile with the counts. */
function paintBufferHealth(health) {
  const banner = document.getElementById('buffer-warning');
  if (!health) {
    banner.hidden = true;
    put('buffer-health', '—');
    return;
  }
  const failing = health.state !== 'writable';
  const counts = `${fmtCount(health.failedCommits)} failed commits · ${fmtCount(health.lostRecords)} records lost`;
  if (failing)
    setText(
      banner,
      `${BUFFER_PROBLEM[health.state] ?? BUFFER_PROBLEM.io_error} (${health.lastErrorCode ?? 'unknown error'} for ${fmtDuration(ageOf(health.since) ?? 0)}; ${counts}).`,
    );
  banner.hidden = !failing;
  const reserve = health.reserveActive ? `disk nearly full (${fmtBytes(health.freeBytes ?? 0)} free): buffer stopped growing` : '';
  if (failing) put('buffer-health', health.state === 'disk_full' ? 'disk full' : 'failing', counts, 'bad');
  else put('buffer-health', 'ok', health.failedCommits > 0 ? counts : reserve, health.reserveActive || health.failedCommits > 0 ? 'warn' : 'ok');
}
