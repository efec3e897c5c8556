/**
 * Shared parts of the alerts tests: a relay database per backend, alarm records, a real HTTP
 * receiver that counts idempotency keys, and a minimal webhook Channel over fetch standing in
 * for platform/notify's (test-only: the relay's real channels come from platform/notify).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IngestInput } from '../../cloud/store/types.ts';
import type { Channel, DeliveryOutcome, Notification } from '../../platform/notify/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import { verifyWebhook } from '../../protocols/notify/webhook-signature.ts';
import type { AlarmDetail } from '../../protocols/records.ts';

export const T0 = 1_767_000_000_000;

export class FakeClock implements Clock {
  constructor(public t = T0) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

type Offered = IngestInput['records'][number];

export function alarmRecord(gateway: string, seq: number, alarm: AlarmDetail, over: Partial<Offered> = {}): Offered {
  return {
    gateway,
    seq,
    kind: 'alarm',
    device: 'det-1',
    channel: 'ch4',
    value: 25,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: T0 + seq,
    tsCorrected: null,
    mono: seq,
    bootId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    priority: 2,
    flags: 0,
    alarm,
    hash: Buffer.from(`${gateway}-${seq}`).toString('hex').padEnd(64, '0').slice(0, 64),
    ...over,
  };
}

export const raised = (level: 'warning' | 'alarm' = 'alarm', rule = 'high2'): AlarmDetail => ({ rule, level, state: 'raised', threshold: 20 });
export const cleared = (level: 'warning' | 'alarm' = 'alarm', rule = 'high2'): AlarmDetail => ({ rule, level, state: 'cleared', threshold: 20 });

export interface Received {
  readonly path: string;
  readonly key: string;
  readonly body: Notification;
}

/** A real HTTP server on port 0; `failNext` answers that many requests 503 first. */
export class Receiver {
  readonly received: Received[] = [];
  failNext = 0;
  /** Answer this long after a request arrived (it counts as received on arrival), ms. */
  delayMs = 0;
  /** When set, a request without a valid HMAC signature (protocols/notify) is answered 401 and not counted. */
  secret: string | undefined;
  /** The receiver's clock for the signature's freshness. */
  now: () => number = Date.now;
  /** Called as each request is counted. */
  onReceived: ((r: Received) => void) | undefined;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.failNext > 0) {
        this.failNext -= 1;
        res.writeHead(503).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      if (this.secret !== undefined) {
        const h = (n: string): string | undefined => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
        const verdict = verifyWebhook({
          secret: this.secret,
          body: raw,
          timestamp: h('x-atalaya-timestamp'),
          signature: h('x-atalaya-signature'),
          now: this.now(),
        });
        if (!verdict.ok) {
          res.writeHead(401).end();
          return;
        }
      }
      const body = JSON.parse(raw.toString('utf8')) as Notification;
      const r = { path: req.url ?? '', key: String(req.headers['idempotency-key'] ?? ''), body };
      this.received.push(r);
      this.onReceived?.(r);
      if (this.delayMs === 0) res.writeHead(200).end();
      else setTimeout(() => res.writeHead(200).end(), this.delayMs);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Posts the Notification as JSON with its key in Idempotency-Key; never throws. */
export class TestWebhookChannel implements Channel {
  readonly kind = 'webhook' as const;
  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    try {
      const res = await fetch(address, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.key },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.ok) return { ok: true };
      return {
        ok: false,
        retryable: res.status >= 500 || res.status === 429 || res.status === 408,
        code: 'ATALAYA_NOTIFY_HTTP_RETRY',
        detail: `HTTP ${res.status}`,
      };
    } catch {
      return { ok: false, retryable: true, code: 'ATALAYA_NOTIFY_HTTP_UNREACHABLE', detail: 'unreachable' };
    }
  }
  async close(): Promise<void> {}
}
