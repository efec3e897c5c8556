import { Counter, Gauge, type Registry } from 'prom-client';

/** One sample of a labelled metric. */
export type Sample<L extends string> = readonly [labels: Readonly<Record<L, string>>, value: number];
/**
 * What a scrape-time reader returns: a number for an unlabelled metric, samples for a labelled
 * one, null when the source has nothing to say (sync or DGA disabled, no acknowledgement yet, a
 * store that did not answer): the metric is then left out of the exposition instead of reading 0,
 * which would be a lie.
 */
export type Reading<L extends string> = number | null | readonly Sample<L>[];

interface Definition<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  /** Synchronous for what is in memory (the agent's parts), a promise for a database query (the relay's). */
  readonly read: () => Reading<L> | Promise<Reading<L>>;
}

type Put<L extends string> = (labels: Readonly<Record<L, string>>, value: number) => void;

function apply<L extends string>(metric: Gauge<L> | Counter<L>, reading: Reading<L>, put: Put<L>): void {
  metric.reset();
  if (reading === null) {
    // An unlabelled metric keeps one sample after reset(); remove() with no labels drops it.
    if ((metric as { labelNames?: readonly string[] }).labelNames?.length === 0) metric.remove();
    return;
  }
  if (typeof reading === 'number') put({} as Record<L, string>, reading);
  else for (const [labels, value] of reading) put(labels, value);
}

/**
 * Reads and applies; stays synchronous when the reader is. A reader that throws or rejects (a part
 * stopping while a scrape runs) leaves the metric out of that scrape rather than failing the whole
 * exposition.
 */
function collect<L extends string>(metric: Gauge<L> | Counter<L>, read: Definition<L>['read'], put: Put<L>): void | Promise<void> {
  let reading: Reading<L> | Promise<Reading<L>>;
  try {
    reading = read();
  } catch {
    reading = null;
  }
  if (!(reading instanceof Promise)) return apply(metric, reading, put);
  return reading.then(
    (r) => apply(metric, r, put),
    () => apply(metric, null, put),
  );
}

/** A gauge computed from its source when scraped. */
export function scrapedGauge<L extends string>(registry: Registry, d: Definition<L>): Gauge<L> {
  return new Gauge<L>({
    name: d.name,
    help: d.help,
    labelNames: d.labelNames ?? [],
    registers: [registry],
    collect() {
      return collect(this, d.read, (labels, value) => this.set(labels, value));
    },
  });
}

/**
 * A count kept elsewhere (records sent, evictions, rows in the database), exposed with the counter
 * type so rate() and increase() apply; a restart of its source is a counter reset, which
 * Prometheus handles.
 */
export function scrapedCounter<L extends string>(registry: Registry, d: Definition<L>): Counter<L> {
  return new Counter<L>({
    name: d.name,
    help: d.help,
    labelNames: d.labelNames ?? [],
    registers: [registry],
    collect() {
      return collect(this, d.read, (labels, value) => this.inc(labels, Math.max(0, value)));
    },
  });
}
