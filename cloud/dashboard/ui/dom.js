// DOM building with text nodes only: record values, DGA messages and error texts come from
// gateways and third parties, so nothing here ever parses a string as HTML.

/**
 * `el('td', { class: 'num', testid: 'x', title: 't', onclick: fn }, 'text', node, [more])`.
 * Attributes that are undefined, null or false are left out; true sets an empty attribute.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'testid') node.setAttribute('data-testid', value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

export function setChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/**
 * Free text from the APIs (an alert's title, DGA's message, an error's detail): shown as it came,
 * marked translate="no" (it is data, in the language its author wrote it).
 */
export const wire = (text) => (text === null || text === undefined || text === '' ? '' : el('span', { translate: 'no' }, text));

/** A status line: `kind` is '' (neutral), 'error' or 'ok'. */
export function setStatus(node, text, kind = '') {
  node.textContent = text;
  node.className = `status ${kind}`.trim();
}

/**
 * A scrollable table (phones scroll it sideways; with attrs.class 'cards' each row becomes a card
 * of label/value lines instead). `columns`: `{ key, label, cell(row) → string|Node, class? }`: the
 * label is translated, so cells also carry the column's stable key as data-col (tests select by it);
 * `rowAttrs(row)` gives each row's attributes (testid, class, onclick).
 */
export function table(columns, rows, rowAttrs = () => ({}), attrs = {}) {
  const head = el(
    'tr',
    {},
    columns.map((c) => el('th', { scope: 'col', class: c.class }, c.label)),
  );
  const body = rows.map((row) =>
    el(
      'tr',
      rowAttrs(row),
      columns.map((c) => el('td', { class: c.class, 'data-label': c.label, 'data-col': c.key }, el('span', {}, c.cell(row)))),
    ),
  );
  return el('div', { class: 'table-wrap' }, el('table', attrs, el('thead', {}, head), el('tbody', {}, body)));
}

/** A button that looks like a link, for actions inside table cells. */
export function linkButton(text, onclick, attrs = {}) {
  return el('button', { type: 'button', class: 'link', onclick, ...attrs }, text);
}

/** A definition list of [label, value] pairs. */
export function facts(pairs) {
  return el(
    'dl',
    { class: 'facts' },
    pairs.map(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]),
  );
}
