import { Counter, Gauge, type Registry } from 'prom-client';

/** One sample of a labelled metric. */
export type Sample<L extends string> = readonly [labels: Readonly<Record<L, string>>, value: number];
/**
 * What a scrape-time reader returns: a number for an unlabelled metric, samples for a labelled
 * one, null when the source has nothing to say (DGA disabled, a store that did not answer): the
 * metric is then left out of the exposition instead of reading 0, which would be a lie.
 */
export type Reading<L extends string> = number | null | readonly Sample<L>[];

interface Definition<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly read: () => Reading<L> | Promise<Reading<L>>;
}

function apply<L extends string>(metric: Gauge<L> | Counter<L>, reading: Reading<L>, put: (labels: Readonly<Record<L, string>>, value: number) => void): void {
  metric.reset();
  if (reading === null) {
    // An unlabelled metric keeps one sample after reset(); remove() with no labels drops it.
    if ((metric as { labelNames?: readonly string[] }).labelNames?.length === 0) metric.remove();
    return;
  }
  if (typeof reading === 'number') put({} as Record<L, string>, reading);
  else for (const [labels, value] of reading) put(labels, value);
}

/** A gauge computed from its source when scraped; a reader that throws leaves it out of that scrape. */
export function scrapedGauge<L extends string>(registry: Registry, d: Definition<L>): Gauge<L> {
  return new Gauge<L>({
    name: d.name,
    help: d.help,
    labelNames: d.labelNames ?? [],
    registers: [registry],
    async collect() {
      apply(this, await safely(d.read), (labels, value) => this.set(labels, value));
    },
  });
}

/** A count kept elsewhere (in the database), exposed with the counter type so rate() applies. */
export function scrapedCounter<L extends string>(registry: Registry, d: Definition<L>): Counter<L> {
  return new Counter<L>({
    name: d.name,
    help: d.help,
    labelNames: d.labelNames ?? [],
    registers: [registry],
    async collect() {
      apply(this, await safely(d.read), (labels, value) => this.inc(labels, Math.max(0, value)));
    },
  });
}

async function safely<L extends string>(read: () => Reading<L> | Promise<Reading<L>>): Promise<Reading<L>> {
  try {
    return await read();
  } catch {
    return null;
  }
}
