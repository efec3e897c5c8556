// A tab's title bar, the same on every tab: its heading, then Refresh (after the tab's filters,
// kept together with it, when the tab has some).

import { el } from './dom.js';
import { t } from './i18n.js';

/** `refresh` is called on a click (pass `() => refresh()` when the tab declares it later). */
export function toolbar(heading, refresh, ...controls) {
  const button = el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, t('common.refresh'));
  return el('div', { class: 'toolbar' }, el('h2', {}, heading), controls.length === 0 ? button : el('span', { class: 'toolbar' }, ...controls, button));
}
