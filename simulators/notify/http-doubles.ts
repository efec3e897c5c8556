/**
 * The HTTP side of the notification double, one node:http handler:
 *   POST /2010-04-01/Accounts/<sid>/Messages.json   Twilio-style SMS (form To, From, Body; basic auth)
 *   POST /sms                                       a generic SMS provider (form or JSON: to, text, from; Bearer token)
 *   POST /bot<token>/sendMessage                    Telegram Bot API sendMessage (JSON chat_id, text)
 *   POST /webhook[/…]                               a webhook receiver: HMAC check, idempotency keys counted
 *   GET  /messages[?channel=sms]                    what arrived, as JSON;  GET /  the same as a page
 * Faults (faults.ts) apply to every POST.
 */
import type http from 'node:http';
import type { Clock } from '../../protocols/clock.ts';
import { verifyWebhook, WEBHOOK_HEADERS } from '../../protocols/notify/webhook-signature.ts';
import type { FaultGate, NotifyFaults } from './faults.ts';
import type { Arrival, Inbox, Message, SimChannel } from './inbox.ts';
import { listingPage } from './page.ts';

export interface HttpDoubleOptions {
  /** Twilio-style credentials; without a token any basic auth is accepted. */
  readonly smsAccountSid?: string;
  readonly smsToken?: string;
  /** The Telegram bot token; without it any token is accepted. */
  readonly telegramToken?: string;
  /** The webhook signing secret; without it signatures are not checked. */
  readonly webhookSecret?: string;
}

const MAX_BODY = 1_048_576;
const TWILIO = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const TELEGRAM = /^\/bot([^/]+)\/sendMessage$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export function httpDoubles(o: HttpDoubleOptions, inbox: Inbox, gate: FaultGate, clock: Clock): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const body = Buffer.concat(chunks);
      const send = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
      };
      if (req.method === 'GET' && url.pathname === '/messages') {
        const channel = url.searchParams.get('channel') as SimChannel | null;
        send(200, { messages: inbox.list(channel ?? undefined), duplicates: inbox.duplicates() });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(listingPage(inbox.list()));
        return;
      }
      if (req.method !== 'POST') return send(404, { error: 'not found' });
      if (size > MAX_BODY) return send(413, { error: 'too large' });
      const twilio = TWILIO.exec(url.pathname);
      const telegram = TELEGRAM.exec(url.pathname);
      const route = twilio
        ? 'twilio'
        : telegram
          ? 'telegram'
          : url.pathname === '/sms'
            ? 'sms'
            : url.pathname === '/webhook' || url.pathname.startsWith('/webhook/')
              ? 'webhook'
              : undefined;
      if (route === undefined) return send(404, { error: 'not found' });
      const fault = gate.draw();
      if (fault !== undefined) return answerFault(route, fault, send);
      switch (route) {
        case 'twilio':
          return twilioSms(o, twilio![1]!, req, body, inbox, send);
        case 'sms':
          return genericSms(o, req, body, inbox, send);
        case 'telegram':
          return telegramSend(o, telegram![1]!, body, inbox, clock, send);
        case 'webhook':
          return webhook(o, req, body, inbox, clock, send);
      }
    });
  };
}

type Send = (status: number, json: unknown, headers?: Record<string, string>) => void;

function answerFault(route: 'twilio' | 'sms' | 'telegram' | 'webhook', f: NotifyFaults, send: Send): void {
  const after = String(f.retryAfterS ?? 2);
  if (route === 'telegram') {
    if (f.kind === 'auth') return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (f.kind === '429')
      return send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${after}`, parameters: { retry_after: Number(after) } });
    return send(502, { ok: false, error_code: 502, description: 'Bad Gateway' });
  }
  if (f.kind === 'auth') return send(401, { code: 20003, message: 'Authenticate', status: 401 });
  if (f.kind === '429') return send(429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': after });
  return send(503, { code: 20503, message: 'Service Unavailable', status: 503 });
}

function basicAuth(req: http.IncomingMessage): [string, string] | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : [text.slice(0, i), text.slice(i + 1)];
}

function fields(req: http.IncomingMessage, body: Buffer): Record<string, string> {
  const text = body.toString('utf8');
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(j).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function twilioSms(o: HttpDoubleOptions, sid: string, req: http.IncomingMessage, body: Buffer, inbox: Inbox, send: Send): void {
  const auth = basicAuth(req);
  if (
    auth === undefined ||
    auth[0] !== sid ||
    (o.smsAccountSid !== undefined && sid !== o.smsAccountSid) ||
    (o.smsToken !== undefined && auth[1] !== o.smsToken)
  ) {
    return send(401, { code: 20003, message: 'Authenticate', status: 401 });
  }
  const f = fields(req, body);
  const to = f['To'] ?? '';
  if (!E164.test(to)) return send(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
  if ((f['Body'] ?? '') === '') return send(400, { code: 21602, message: 'Message body is required.', status: 400 });
  const m = inbox.add(arrival('sms', to, f['From'], f['Body']!, body, 'twilio'), (seq) => `SM${seq.toString(16).padStart(32, '0')}`);
  send(201, { sid: m.id, account_sid: sid, to, from: f['From'] ?? null, body: f['Body'], status: 'queued', num_segments: '1' });
}

function genericSms(o: HttpDoubleOptions, req: http.IncomingMessage, body: Buffer, inbox: Inbox, send: Send): void {
  if (o.smsToken !== undefined && req.headers.authorization !== `Bearer ${o.smsToken}`) return send(401, { error: 'unauthorized' });
  const f = fields(req, body);
  const to = f['to'] ?? '';
  const text = f['text'] ?? f['body'] ?? f['message'] ?? '';
  if (!E164.test(to) || text === '') return send(400, { error: 'expected to (E.164) and text' });
  const m = inbox.add(arrival('sms', to, f['from'], text, body, 'template'), (seq) => `msg-${seq}`);
  send(200, { id: m.id, status: 'accepted' });
}

function telegramSend(o: HttpDoubleOptions, token: string, body: Buffer, inbox: Inbox, clock: Clock, send: Send): void {
  if (o.telegramToken !== undefined && token !== o.telegramToken) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
  let j: { chat_id?: unknown; text?: unknown };
  try {
    j = JSON.parse(body.toString('utf8')) as typeof j;
  } catch {
    return send(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
  }
  if ((typeof j.chat_id !== 'string' && typeof j.chat_id !== 'number') || typeof j.text !== 'string' || j.text === '') {
    return send(400, { ok: false, error_code: 400, description: 'Bad Request: chat_id and text are required' });
  }
  const m = inbox.add(arrival('telegram', String(j.chat_id), undefined, j.text, body), (seq) => String(seq));
  send(200, { ok: true, result: { message_id: Number(m.id), chat: { id: j.chat_id }, date: Math.floor(clock.now() / 1000), text: j.text } });
}

function webhook(o: HttpDoubleOptions, req: http.IncomingMessage, body: Buffer, inbox: Inbox, clock: Clock, send: Send): void {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  let signature: string | undefined;
  if (o.webhookSecret !== undefined) {
    const v = verifyWebhook({
      secret: o.webhookSecret,
      body,
      timestamp: header(WEBHOOK_HEADERS.timestamp),
      signature: header(WEBHOOK_HEADERS.signature),
      now: clock.now(),
    });
    signature = v.ok ? 'ok' : v.reason;
  }
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return send(400, { error: 'expected JSON' });
  }
  const shape = 'cardsV2' in json ? 'googlechat' : 'blocks' in json ? 'slack' : json['type'] === 'message' ? 'teams' : 'generic';
  const text = typeof json['title'] === 'string' ? json['title'] : typeof json['text'] === 'string' ? json['text'] : '';
  const key = header(WEBHOOK_HEADERS.idempotencyKey);
  const m = inbox.add(
    {
      ...arrival('webhook', new URL(req.url ?? '/', 'http://sim').pathname, undefined, text, body),
      shape,
      ...(key !== undefined ? { key } : {}),
      ...(signature !== undefined ? { signature } : {}),
    },
    (seq) => `hook-${seq}`,
  );
  if (signature !== undefined && signature !== 'ok') return send(401, { error: `signature ${signature}`, seq: m.seq });
  send(200, { ok: true, seq: m.seq, duplicate: m.duplicate });
}

function arrival(channel: SimChannel, to: string, from: string | undefined, text: string, raw: Buffer, api?: string): Arrival {
  return { channel, to, text, raw: raw.toString('utf8'), ...(from !== undefined ? { from } : {}), ...(api !== undefined ? { api } : {}) };
}

export type { Message };
