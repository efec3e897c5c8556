import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, samples, sum, value } from '../helpers/prom.ts';

describe('the test parser of the Prometheus text format', () => {
  it('reads what prom-client writes, escapes included', async () => {
    const registry = new Registry();
    new Counter({ name: 'a_total', help: 'a \\ back\nslash', labelNames: ['l'], registers: [registry] }).inc({ l: 'q"u\\o\nte' }, 3);
    new Gauge({ name: 'b', help: 'b', registers: [registry] }).set(-1.5e-3);
    const h = new Histogram({ name: 'c_seconds', help: 'c', labelNames: ['d'], buckets: [0.1, 1], registers: [registry] });
    h.observe({ d: 'x' }, 0.05);
    h.observe({ d: 'x' }, 5);
    new Summary({ name: 'e', help: 'e', percentiles: [0.5], registers: [registry] }).observe(2);

    const f = parseExposition(await registry.metrics());
    expect(f.get('a_total')).toMatchObject({ type: 'counter', help: 'a \\ back\nslash' });
    expect(value(f, 'a_total', { l: 'q"u\\o\nte' })).toBe(3);
    expect(value(f, 'b')).toBe(-0.0015);
    expect(value(f, 'c_seconds_bucket', { d: 'x', le: '0.1' })).toBe(1);
    expect(value(f, 'c_seconds_bucket', { d: 'x', le: '+Inf' })).toBe(2);
    expect(value(f, 'c_seconds_count', { d: 'x' })).toBe(2);
    expect(sum(f, 'c_seconds_sum')).toBeCloseTo(5.05);
    expect(samples(f, 'e', { quantile: '0.5' })).toHaveLength(1);
  });

  it.each([
    ['a sample of no declared family', 'x 1'],
    ['a value that is not a number', '# TYPE x gauge\nx one'],
    ['an unquoted label value', '# TYPE x gauge\nx{a=b} 1'],
    ['an unterminated label value', '# TYPE x gauge\nx{a="b} 1'],
    ['a bad label name', '# TYPE x gauge\nx{1a="b"} 1'],
    ['a bad escape', '# TYPE x gauge\nx{a="\\t"} 1'],
    ['a label twice', '# TYPE x gauge\nx{a="1",a="2"} 1'],
    ['a series twice', '# TYPE x gauge\nx 1\nx 2'],
    ['an unknown type', '# TYPE x meter\nx 1'],
    ['TYPE after samples', '# TYPE x gauge\nx 1\n# HELP x late'],
    ['a family resumed', '# TYPE x gauge\nx{a="1"} 1\n# TYPE y gauge\ny 1\nx{a="2"} 1'],
    ['a negative counter', '# TYPE x_total counter\nx_total -1'],
    ['trailing junk', '# TYPE x gauge\nx 1 2 3'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1'],
    ['buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1'],
  ])('refuses %s', (_why, text) => {
    expect(() => parseExposition(`${text}\n`)).toThrow();
  });
});
