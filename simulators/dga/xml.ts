/**
 * A small namespace-aware XML reader (XML 1.0 + Namespaces in XML 1.0) that keeps element order,
 * which the soap package's parsed objects lose. Enough for SOAP envelopes: no DTDs (refused, as
 * SOAP 1.1 §3 forbids them), entities limited to the five predefined and character references.
 */
export interface XmlElement {
  /** Namespace URI, '' when none. */
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** Character data directly inside this element (CDATA included), children's excluded. */
  text: string;
}

export class XmlError extends Error {}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export function parseXml(input: string): XmlElement {
  const src = input.startsWith('\uFEFF') ? input.slice(1) : input;
  let pos = 0;
  let root: XmlElement | undefined;
  const stack: { el: XmlElement; qname: string; scope: Map<string, string> }[] = [];
  const fail = (what: string): never => {
    throw new XmlError(`${what} at offset ${pos}`);
  };

  while (pos < src.length) {
    const lt = src.indexOf('<', pos);
    const textEnd = lt === -1 ? src.length : lt;
    if (textEnd > pos) {
      const text = decode(src.slice(pos, textEnd), fail);
      const top = stack.at(-1);
      if (top !== undefined) top.el.text += text;
      else if (text.trim() !== '') fail('text outside the root element');
      pos = textEnd;
      continue;
    }
    if (src.startsWith('<!--', pos)) {
      const end = src.indexOf('-->', pos + 4);
      if (end === -1) fail('unterminated comment');
      pos = end + 3;
    } else if (src.startsWith('<![CDATA[', pos)) {
      const end = src.indexOf(']]>', pos);
      const top = stack.at(-1);
      if (end === -1 || top === undefined) fail('misplaced CDATA section');
      top!.el.text += src.slice(pos + 9, end);
      pos = end + 3;
    } else if (src.startsWith('<?', pos)) {
      const end = src.indexOf('?>', pos);
      if (end === -1) fail('unterminated processing instruction');
      pos = end + 2;
    } else if (src.startsWith('<!', pos)) {
      fail('DTDs are not allowed in SOAP messages');
    } else if (src.startsWith('</', pos)) {
      const m = NAME.exec(src.slice(pos + 2));
      const top = stack.pop();
      if (m === null || top === undefined || m[0] !== top.qname) fail(`unexpected end tag </${m?.[0] ?? ''}>`);
      pos += 2 + m![0].length;
      const close = /^\s*>/.exec(src.slice(pos));
      if (close === null) fail('malformed end tag');
      pos += close![0].length;
    } else {
      const m = NAME.exec(src.slice(pos + 1));
      if (m === null) fail('malformed start tag');
      const qname = m![0];
      pos += 1 + qname.length;
      const raw = new Map<string, string>();
      for (;;) {
        const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(src.slice(pos));
        if (attr === null) break;
        if (raw.has(attr[1]!)) fail(`duplicate attribute ${attr[1]}`);
        raw.set(attr[1]!, decode(attr[3] ?? attr[4] ?? '', fail));
        pos += attr[0].length;
      }
      const end = /^\s*(\/?)>/.exec(src.slice(pos));
      if (end === null) fail(`malformed start tag <${qname}>`);
      pos += end![0].length;
      const parentScope = stack.at(-1)?.scope ?? new Map([['xml', XML_NS]]);
      const scope = new Map(parentScope);
      for (const [k, v] of raw) {
        if (k === 'xmlns') scope.set('', v);
        else if (k.startsWith('xmlns:')) scope.set(k.slice(6), v);
      }
      const colon = qname.indexOf(':');
      const prefix = colon === -1 ? '' : qname.slice(0, colon);
      const ns = scope.get(prefix);
      if (ns === undefined && prefix !== '') fail(`unbound namespace prefix '${prefix}'`);
      const el: XmlElement = { ns: ns ?? '', local: qname.slice(colon + 1), prefix, attributes: raw, children: [], text: '' };
      const parent = stack.at(-1);
      if (parent !== undefined) parent.el.children.push(el);
      else if (root === undefined) root = el;
      else fail('more than one root element');
      if (end![1] !== '/') stack.push({ el, qname, scope });
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack.at(-1)!.qname}>`);
  if (root === undefined) fail('no root element');
  return root!;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string, fail: (what: string) => never): string {
  return text.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) fail(`bare '&' in character data`);
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const code = /^#x([0-9a-fA-F]+)$/.exec(ref)?.[1] ?? /^#(\d+)$/.exec(ref)?.[1];
    if (code === undefined) fail(`unknown entity &${ref};`);
    const cp = ref.startsWith('#x') ? parseInt(code!, 16) : parseInt(code!, 10);
    if (!(cp > 0 && cp <= 0x10ffff)) fail(`bad character reference &${ref};`);
    return String.fromCodePoint(cp);
  });
}
