// The header: gateway identity, clock, system, sync and buffer figures (GET /api/overview and the
// `overview` event every 2 s). Ages are repainted every second from the last answer.
import { ageOf, fmtBytes, fmtCount, fmtDuration, gatewayNow, h, observeGatewayNow, setText } from './dom.js';
import { fixed, fmtPercent } from './format.js';
import { t } from './i18n.js';
import { alarmStateLabel, fmtAge } from './labels.js';

/** The tile groups and their tiles (labels read when mounting, after the catalogues are loaded). */
const groups = () => [
  [
    t('overview.group.gateway'),
    [
      ['uptime', t('overview.uptime')],
      ['cpu-temp', t('overview.cpuTemp')],
      ['load', t('overview.load')],
      ['memory', t('overview.memory')],
      ['disk', t('overview.disk')],
    ],
  ],
  [
    t('overview.group.sync'),
    [
      ['sync-state', t('overview.syncState')],
      ['sync-last-ack', t('overview.lastAck')],
      ['sync-lag', t('overview.lag')],
      ['sync-error', t('overview.lastError')],
      ['sync-bytes', t('overview.sent')],
    ],
  ],
  [
    t('overview.group.buffer'),
    [
      ['buffer-records', t('overview.records')],
      ['buffer-oldest', t('overview.oldest')],
      ['buffer-bytes', t('overview.onDisk')],
      ['buffer-evicted', t('overview.evicted')],
      ['buffer-health', t('overview.writes')],
    ],
  ],
  [
    t('overview.group.mqtt'),
    [
      ['mqtt-clients', t('overview.clients')],
      ['mqtt-stored', t('overview.stored')],
    ],
  ],
  [
    t('overview.group.paging'),
    [
      ['paging-state', t('overview.pagingState')],
      ['paging-last', t('overview.lastPage')],
      ['paging-error', t('overview.pagingError')],
    ],
  ],
];

const syncStateLabel = (s) =>
  ({
    idle: t('sync.state.idle'),
    sending: t('sync.state.sending'),
    backoff: t('sync.state.backoff'),
    refused: t('sync.state.refused'),
    stopped: t('sync.state.stopped'),
  })[s] ?? s;
/** Buffer eviction classes (agent/buffer/eviction.ts EvictionCounts). */
const evictedLabel = (cls) => ({ ordinary: t('evicted.class.ordinary'), dga: t('evicted.class.dga'), alarm: t('evicted.class.alarm') })[cls] ?? cls;

const tiles = new Map();
let groupEls = [];
let last = null;

/** Builds the tiles once into `root` (the #overview section). */
export function mountOverview(root) {
  groupEls = groups().map(([title, items]) => {
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
  setText(document.getElementById('clock-state'), gateway.clockSynced ? t('clock.synced') : t('clock.notSynced'));

  const uptimeMs = gateway.uptimeS * 1000 + Math.max(0, gatewayNow() - gateway.now);
  put('uptime', fmtDuration(uptimeMs), t('overview.osUp', { duration: fmtDuration(system.osUptimeS * 1000) }));
  paintSystem(system);
  paintSync(sync);
  paintBuffer(buffer);
  groupEls[3].hidden = !mqtt;
  if (mqtt) {
    const refused = Object.values(mqtt.refused ?? {}).reduce((a, b) => a + b, 0);
    put('mqtt-clients', fmtCount(mqtt.clients), t('overview.published', { count: fmtCount(mqtt.published) }));
    put(
      'mqtt-stored',
      fmtCount(mqtt.stored),
      t('overview.duplicatesRefused', { duplicates: fmtCount(mqtt.duplicates), refused: fmtCount(refused) }),
      refused > 0 ? 'warn' : 'ok',
    );
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
    paging.pending > 0 ? t('overview.pending', { count: fmtCount(paging.pending) }) : t('overview.idle'),
    t('overview.pagingSub', { channels: paging.channels.join(', '), sent: fmtCount(sent), failed: fmtCount(failed) }),
    paging.consecutiveFailures > 0 ? 'bad' : paging.pending > 0 ? 'warn' : 'ok',
  );
  const lp = paging.lastPage;
  put('paging-last', lp ? fmtAge(lp.at) : t('overview.never'), lp ? `${lp.device} ${lp.channel} ${lp.rule} ${alarmStateLabel(lp.state)}` : '');
  const err = paging.lastError;
  put(
    'paging-error',
    err ? err.code.replace('ATALAYA_PAGING_', '').toLowerCase().replaceAll('_', ' ') : t('overview.none'),
    err ? `${t('overview.failuresInRow', { count: fmtCount(paging.consecutiveFailures) })} · ${err.detail}` : '',
    paging.consecutiveFailures > 0 ? 'bad' : 'ok',
  );
}

function paintSystem(system) {
  const temp = system.cpuTempC;
  put('cpu-temp', temp === null ? t('overview.na') : `${fixed(temp, 1)} °C`, '', temp === null ? 'ok' : temp >= 85 ? 'bad' : temp >= 75 ? 'warn' : 'ok');
  put('load', Number.isFinite(system.load1) ? fixed(system.load1, 2) : '—');
  const used = system.memTotalBytes - system.memAvailableBytes;
  const memPct = system.memTotalBytes > 0 ? (used / system.memTotalBytes) * 100 : 0;
  put(
    'memory',
    fmtPercent(memPct),
    t('overview.memorySub', { used: fmtBytes(used), total: fmtBytes(system.memTotalBytes), rss: fmtBytes(system.rssBytes) }),
    memPct >= 95 ? 'bad' : memPct >= 85 ? 'warn' : 'ok',
  );
  const disk = system.disk;
  if (!disk) {
    put('disk', t('overview.na'));
  } else {
    const freePct = disk.totalBytes > 0 ? (disk.freeBytes / disk.totalBytes) * 100 : 100;
    put(
      'disk',
      t('overview.diskFree', { free: fmtBytes(disk.freeBytes) }),
      t('overview.diskSub', { used: fmtPercent(100 - freePct), total: fmtBytes(disk.totalBytes), path: disk.path }),
      freePct < 3 ? 'bad' : freePct < 10 ? 'warn' : 'ok',
    );
  }
}

const SYNC_LEVEL = { idle: 'ok', sending: 'ok', backoff: 'warn', refused: 'bad', stopped: 'warn' };

function paintSync(sync) {
  if (!sync) {
    put('sync-state', t('overview.disabled'), t('overview.noSync'), 'warn');
    for (const key of ['sync-last-ack', 'sync-lag', 'sync-error', 'sync-bytes']) put(key, '—');
    return;
  }
  const next = sync.nextAttemptAt === null ? '' : t('overview.nextTry', { duration: fmtDuration(Math.max(0, sync.nextAttemptAt - gatewayNow())) });
  put('sync-state', syncStateLabel(sync.state), next, SYNC_LEVEL[sync.state] ?? 'warn');
  const ackAge = ageOf(sync.lastAckAt);
  const behind = sync.lagRecords > 0;
  const ackLevel = ackAge === null ? (behind ? 'warn' : 'ok') : !behind ? 'ok' : ackAge > 3_600_000 ? 'bad' : ackAge > 300_000 ? 'warn' : 'ok';
  put('sync-last-ack', sync.lastAckAt === null ? t('overview.never') : fmtAge(sync.lastAckAt), '', ackLevel);
  put(
    'sync-lag',
    fmtCount(sync.lagRecords),
    sync.quarantinedRecords > 0 ? t('overview.quarantined', { count: fmtCount(sync.quarantinedRecords) }) : t('overview.notAcked'),
    sync.quarantinedRecords > 0 ? 'warn' : 'ok',
  );
  put(
    'sync-error',
    sync.lastError ?? t('overview.none'),
    sync.consecutiveFailures > 0 ? t('overview.failuresInRow', { count: fmtCount(sync.consecutiveFailures) }) : '',
    sync.lastError ? 'bad' : 'ok',
  );
  put('sync-bytes', fmtBytes(sync.sentBytes), t('overview.sinceStart', { count: fmtCount(sync.sentRecords) }));
}

function paintBuffer(buffer) {
  put(
    'buffer-records',
    fmtCount(buffer.count),
    buffer.pending > 0 ? t('overview.pendingCommit', { count: fmtCount(buffer.pending) }) : t('overview.lastSeq', { seq: buffer.lastSeq }),
  );
  put('buffer-oldest', buffer.oldestTs === null ? t('overview.none') : fmtDuration(ageOf(buffer.oldestTs)), buffer.oldestTs === null ? '' : t('overview.old'));
  put('buffer-bytes', fmtBytes(buffer.bytes));
  const evicted = buffer.evicted ?? {};
  const total = Object.values(evicted).reduce((a, b) => a + b, 0);
  const detail = Object.entries(evicted)
    .map(([cls, n]) => `${evictedLabel(cls)} ${fmtCount(n)}`)
    .join(' · ');
  put('buffer-evicted', fmtCount(total), detail, (evicted.alarm ?? 0) > 0 ? 'bad' : total > 0 ? 'warn' : 'ok');
  paintBufferHealth(buffer.health);
}

/** The buffer's write state (issue 19): a banner while commits fail, a tile with the counts. */
function paintBufferHealth(health) {
  const banner = document.getElementById('buffer-warning');
  if (!health) {
    banner.hidden = true;
    put('buffer-health', '—');
    return;
  }
  const failing = health.state !== 'writable';
  const counts = t('overview.bufferCounts', { failed: fmtCount(health.failedCommits), lost: fmtCount(health.lostRecords) });
  if (failing)
    setText(
      banner,
      t('overview.bufferBanner', {
        problem: health.state === 'disk_full' ? t('overview.bufferDiskFull') : t('overview.bufferIoError'),
        code: health.lastErrorCode ?? t('overview.unknownError'),
        duration: fmtDuration(ageOf(health.since) ?? 0),
        counts,
      }),
    );
  banner.hidden = !failing;
  const reserve = health.reserveActive ? t('overview.reserve', { free: fmtBytes(health.freeBytes ?? 0) }) : '';
  if (failing) put('buffer-health', health.state === 'disk_full' ? t('overview.diskFull') : t('overview.failing'), counts, 'bad');
  else put('buffer-health', t('overview.ok'), health.failedCommits > 0 ? counts : reserve, health.reserveActive || health.failedCommits > 0 ? 'warn' : 'ok');
}
