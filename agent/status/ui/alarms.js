// Active alarms (top of the page, with Acknowledge) and the recent alarm records below them.
// Levels are those of protocols/records.ts ALARM_LEVELS: `alarm` (red) and `warning` (amber).
import { ApiError, api, Unauthenticated } from './api.js';
import { clear, fmtTime, h, setText } from './dom.js';
import { fmtMeasure } from './format.js';
import { t } from './i18n.js';
import { alarmStateLabel, fmtAge, levelLabel } from './labels.js';

/** The server keeps the last 50 alarm records; the page keeps as many. */
const RECENT_MAX = 50;
const LEVEL_ORDER = { alarm: 0, warning: 1 };

let activeEl = null;
let sectionEl = null;
let countEl = null;
let recentEl = null;
let active = [];
let recent = [];
let opts = { unitOf: () => '', onAuthLost: () => {}, onChange: () => {} };

export function mountAlarms({ section, list, count, recentBody }, options) {
  sectionEl = section;
  activeEl = list;
  countEl = count;
  recentEl = recentBody;
  opts = { ...opts, ...options };
}

/** GET /api/alarms answer. */
export function renderAlarms(answer) {
  recent = answer.recent.slice(0, RECENT_MAX);
  paintRecent();
  renderActive(answer.active);
}

/** `alarms` event or the active part of GET /api/alarms. */
export function renderActive(list) {
  active = [...list].sort(
    (a, b) => (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || Number(a.state !== 'raised') - Number(b.state !== 'raised') || b.ts - a.ts,
  );
  clear(activeEl);
  for (const alarm of active) activeEl.append(activeItem(alarm));
  if (active.length === 0) activeEl.append(h('li', { class: 'alarm-none', testid: 'alarm-none', text: t('alarms.none') }));
  const raisedAlarm = active.some((a) => a.level === 'alarm' && a.state === 'raised');
  sectionEl.dataset.level = raisedAlarm ? 'alarm' : active.some((a) => a.state === 'raised') ? 'warning' : active.length > 0 ? 'acknowledged' : 'none';
  setText(countEl, String(active.length));
  opts.onChange(active);
}

/** Alarm records from a `records` event, newest first. */
export function applyAlarmRecords(records) {
  const fresh = records.filter((r) => r.kind === 'alarm');
  if (fresh.length === 0) return;
  const known = new Set(recent.map((r) => r.seq));
  recent = [...fresh.filter((r) => !known.has(r.seq)), ...recent].sort((a, b) => b.seq - a.seq).slice(0, RECENT_MAX);
  paintRecent();
}

/** Every second: the "raised … ago" texts. */
export function paintAlarmAges() {
  for (const el of activeEl.querySelectorAll('[data-ts]')) setText(el, fmtAge(Number(el.dataset.ts)));
}

function activeItem(alarm) {
  const key = `${alarm.device}-${alarm.channel}-${alarm.rule}`;
  const unit = opts.unitOf(alarm.device, alarm.channel);
  const stateText = alarm.state === 'acknowledged' ? t('alarms.stateAcked') : alarm.latched ? t('alarms.stateLatched') : t('alarms.stateRaised');
  const error = h('span', { class: 'alarm-error', role: 'alert', testid: `ack-error-${key}` });
  const item = h(
    'li',
    { class: 'alarm-item', testid: `alarm-${key}`, 'data-level': alarm.level, 'data-state': alarm.state, 'data-latched': String(alarm.latched) },
    h('span', { class: 'alarm-level', text: alarm.level === 'alarm' ? t('alarms.levelAlarm') : t('alarms.levelWarning') }),
    h(
      'span',
      { class: 'alarm-where' },
      h('strong', { text: alarm.device }),
      ' / ',
      h('strong', { text: alarm.channel }),
      ` · ${t('alarms.rule', { rule: alarm.rule })}`,
    ),
    h(
      'span',
      { class: 'alarm-value' },
      fmtMeasure(alarm.value, unit),
      h('span', { class: 'alarm-threshold', text: ` (${t('alarms.threshold', { value: fmtMeasure(alarm.threshold, unit) })})` }),
    ),
    h('span', { class: 'alarm-state' }, `${stateText} · `, h('span', { 'data-ts': String(alarm.ts), text: fmtAge(alarm.ts) })),
  );
  if (alarm.state === 'raised') {
    const button = h('button', { type: 'button', class: 'ack', testid: `ack-${key}`, text: t('alarms.acknowledge') });
    button.addEventListener('click', () => void acknowledge(alarm, button, error));
    item.append(button);
  }
  item.append(error);
  return item;
}

async function acknowledge(alarm, button, error) {
  button.disabled = true;
  setText(error, '');
  try {
    await api('/api/alarms/ack', { device: alarm.device, channel: alarm.channel, rule: alarm.rule });
  } catch (err) {
    if (err instanceof Unauthenticated) {
      opts.onAuthLost(err);
      return;
    }
    // 404: someone else acknowledged it, or it cleared; the refresh below shows which.
    if (!(err instanceof ApiError && err.status === 404)) {
      setText(error, t('alarms.notAcked', { message: err.message }));
      button.disabled = false;
      return;
    }
  }
  // The `alarms` event normally arrives first; fetch anyway in case the stream is down.
  try {
    renderAlarms(await api('/api/alarms'));
  } catch (err) {
    if (err instanceof Unauthenticated) opts.onAuthLost(err);
  }
}

function paintRecent() {
  clear(recentEl);
  if (recent.length === 0) {
    recentEl.append(h('tr', {}, h('td', { colspan: '6', class: 'empty', text: t('alarms.noRecords') })));
    return;
  }
  for (const r of recent) {
    const a = r.alarm ?? { rule: '?', level: 'warning', state: 'raised', threshold: null };
    recentEl.append(
      h(
        'tr',
        { testid: `recent-${r.seq}`, 'data-level': a.level, 'data-state': a.state },
        h('td', { text: fmtTime(r.ts) }),
        h('td', {}, h('span', { class: 'alarm-level', text: levelLabel(a.level) })),
        h('td', { text: alarmStateLabel(a.state) }),
        h('td', { text: `${r.device} / ${r.channel}` }),
        h('td', { text: a.rule }),
        h('td', { class: 'num', text: fmtMeasure(r.value, r.unit) }),
      ),
    );
  }
}
