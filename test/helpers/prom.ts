/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (docs/formats.md#prometheus-text-format), so tests read
 * /metrics the way Prometheus does instead of matching substrings. Every line must parse; a
 * sample must belong to a family declared by # TYPE before it; families are not interleaved; a
 * series appears once; histogram buckets are cumulative and end with le="+Inf" equal to _count.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp?: number;
}

export interface PromFamily {
  readonly name: string;
  help: string | undefined;
  type: MetricType | undefined;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class ExpositionError extends Error {
  constructor(lineNo: number, line: string, why: string) {
    super(`line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
  }
}

/** Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  if (/^[+-]?nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** `{a="x",b="y\"z"}` starting at `i`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, fail: (why: string) => never): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) fail('label without =');
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(`bad label name ${name}`);
    if (name in labels) fail(`label ${name} twice`);
    if (line[eq + 1] !== '"') fail('label value not quoted');
    let value = '';
    let j = eq + 2;
    for (; ; j++) {
      const c = line[j];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const n = line[++j];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else fail('bad escape in label value');
      } else value += c;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') fail('expected , or } after a label');
  }
}

/** HELP text escapes only backslash and line feed. */
function unescapeHelp(text: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = text[++i];
    if (n === '\\') out += '\\';
    else if (n === 'n') out += '\n';
    else fail('bad escape in HELP');
  }
  return out;
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: ReadonlyMap<string, PromFamily>): PromFamily | undefined {
  const exact = families.get(name);
  if (exact !== undefined && exact.type !== 'histogram') return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f?.type === 'histogram' || (f?.type === 'summary' && suffix !== '_bucket')) return f;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const seenSeries = new Set<string>();
  const closed = new Set<string>();
  let current: PromFamily | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, idx) => {
    const fail: (why: string) => never = (why) => {
      throw new ExpositionError(idx + 1, line, why);
    };
    if (line.trim() === '') return;
    const declare = (name: string): PromFamily => {
      if (!METRIC_NAME.test(name)) fail(`bad metric name ${name}`);
      if (closed.has(name)) fail(`family ${name} resumed after another`);
      let f = families.get(name);
      if (f === undefined) families.set(name, (f = { name, help: undefined, type: undefined, samples: [] }));
      if (f.samples.length > 0) fail(`# line for ${name} after its samples`);
      if (current !== undefined && current !== f) closed.add(current.name);
      current = f;
      return f;
    };
    const help = /^# HELP (\S+) ?(.*)$/.exec(line);
    if (help !== null) {
      const f = declare(help[1]!);
      if (f.help !== undefined) fail('second HELP');
      f.help = unescapeHelp(help[2]!, fail);
      return;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      const f = declare(type[1]!);
      if (f.type !== undefined) fail('second TYPE');
      if (!TYPES.has(type[2] as MetricType)) fail(`unknown type ${type[2]}`);
      f.type = type[2] as MetricType;
      return;
    }
    if (line.startsWith('# HELP') || line.startsWith('# TYPE')) fail('malformed HELP/TYPE');
    if (line.startsWith('#')) return;

    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) fail('no sample value');
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(`bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') ({ labels, end: rest } = parseLabels(line, nameEnd, fail));
    if (line[rest] !== ' ') fail('expected a space before the value');
    const fields = line.slice(rest + 1).split(' ');
    if (fields.length < 1 || fields.length > 2) fail('expected value [timestamp]');
    const value = parseValue(fields[0]!);
    if (value === undefined) fail(`bad value ${fields[0]}`);
    const timestamp = fields[1] === undefined ? undefined : Number(fields[1]);
    if (timestamp !== undefined && !/^-?\d+$/.test(fields[1]!)) fail('bad timestamp');
    const family = familyOf(name, families);
    if (family === undefined) fail(`sample ${name} of no declared family`);
    if (family !== current) fail(`sample ${name} outside its family's block`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (seenSeries.has(key)) fail('series twice');
    seenSeries.add(key);
    if (family.type === 'counter' && !(value! >= 0)) fail('negative or NaN counter');
    family.samples.push({ name, labels, value: value!, ...(timestamp === undefined ? {} : { timestamp }) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Per label set (le aside): buckets non-decreasing in le, ending at +Inf, which equals _count. */
function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) {
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined) throw new Error(`${f.name}: bucket without a valid le`);
      g.buckets.push([bound, s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, n], i) => {
      if (i > 0 && n < sorted[i - 1]![1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    });
    const last = sorted.at(-1);
    if (last === undefined || last[0] !== Infinity) throw new Error(`${f.name}${key}: no le="+Inf" bucket`);
    if (g.count !== last[1]) throw new Error(`${f.name}${key}: _count ${g.count} ≠ +Inf bucket ${last[1]}`);
  }
}

const matches = (s: PromSample, labels: Readonly<Record<string, string>>): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** Samples named `name` (a family or a histogram's _bucket/_sum/_count) whose labels include `labels`. */
export function samples(families: ReadonlyMap<string, PromFamily>, name: string, labels: Readonly<Record<string, string>> = {}): PromSample[] {
  const family = familyOf(name, families);
  return family === undefined ? [] : family.samples.filter((s) => s.name === name && matches(s, labels));
}

/** The value of the one sample named `name` with exactly those labels (besides none else); undefined if absent. */
export function value(families: ReadonlyMap<string, PromFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const found = samples(families, name, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  if (found.length > 1) throw new Error(`${name}: ${found.length} series match`);
  return found[0]?.value;
}

/** Sum over the samples named `name` whose labels include `labels` (0 when none). */
export function sum(families: ReadonlyMap<string, PromFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samples(families, name, labels).reduce((n, s) => n + s.value, 0);
}
