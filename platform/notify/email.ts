/**
 * Email channel: nodemailer's pooled SMTP transport (RFC 5321; STARTTLS RFC 3207 required, or
 * implicit TLS RFC 8314; AUTH RFC 4954), one message with a plain-text and an HTML part
 * (protocols/notify/render.ts). The Message-ID is derived from the Notification's key, so a resend
 * after a crash is the same message to the receiving side (RFC 5322 §3.6.4).
 *
 * Outcomes: 5xx to RCPT or DATA → SMTP_REJECTED, not retryable; 4xx → SMTP_DEFERRED; refused
 * credentials → SMTP_AUTH; no connection, TLS failure or timeout → SMTP_UNREACHABLE (all three
 * retryable).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { emailContent } from '../../protocols/notify/render.ts';
import { WEBHOOK_HEADERS } from '../../protocols/notify/webhook-signature.ts';
import { NOTIFY_BAD_ADDRESS, NOTIFY_CLOSED, NOTIFY_SMTP_AUTH, NOTIFY_SMTP_DEFERRED, NOTIFY_SMTP_REJECTED, NOTIFY_SMTP_UNREACHABLE } from './errors.ts';
import { type EmailChannelConfig, emailAddress } from './schema.ts';
import type { Channel, DeliveryOutcome, Notification } from './types.ts';

export interface EmailChannelOptions {
  readonly config: EmailChannelConfig;
  /** The AUTH password (with config.user). */
  readonly password?: string | undefined;
  /** PEM text of config.caFile (read by channels.ts). */
  readonly ca?: string | undefined;
}

/** Errors nodemailer reports for a connection that never carried the message (its `code` values). */
const UNREACHABLE = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * `<key@atalaya>`, the key's characters outside [A-Za-z0-9_-] written `=XX` (hex of each UTF-8 byte):
 * a valid dot-atom (RFC 5322 §3.2.3), one Message-ID per key and one key per Message-ID.
 */
export function messageIdFor(key: string): string {
  let local = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    local += /[A-Za-z0-9_-]/.test(ch) ? ch : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `<${local}@atalaya>`;
}

export class EmailChannel implements Channel {
  readonly kind = 'email' as const;
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  private closed = false;

  constructor(private readonly opts: EmailChannelOptions) {
    const c = opts.config;
    const ca = opts.ca;
    // nodemailer opens nothing until the first message: constructing is cheap and I/O free.
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 2,
      host: c.host,
      port: c.port,
      secure: c.security === 'tls',
      requireTLS: c.security === 'starttls',
      ignoreTLS: c.security === 'none',
      ...(c.user !== undefined ? { auth: { user: c.user, pass: opts.password ?? '' } } : {}),
      ...(ca !== undefined ? { tls: { ca } } : {}),
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: c.timeoutMs,
      logger: false,
      debug: false,
    });
  }

  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    if (this.closed) return { ok: false, retryable: true, code: NOTIFY_CLOSED, detail: 'email channel closed' };
    if (!emailAddress.safeParse(address).success) return { ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS, detail: 'not an email address' };
    const content = emailContent(message);
    const c = this.opts.config;
    let timer: NodeJS.Timeout | undefined;
    // Belt and braces: nodemailer's own timeouts cover each step; this bounds the whole exchange.
    const deadline = new Promise<DeliveryOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, retryable: true, code: NOTIFY_SMTP_UNREACHABLE, detail: `${c.host}:${c.port}: no answer within ${c.timeoutMs * 2} ms` }),
        c.timeoutMs * 2,
      );
    });
    const sent = this.transport
      .sendMail({
        from: c.from,
        to: address,
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId: messageIdFor(message.key),
        date: new Date(message.at),
        headers: { 'X-Atalaya-Event': message.eventId, [WEBHOOK_HEADERS.idempotencyKey]: message.key },
      })
      .then((info): DeliveryOutcome => ({ ok: true, providerId: queueId(info.response) ?? info.messageId }))
      .catch((err: unknown): DeliveryOutcome => smtpFailure(err, `${c.host}:${c.port}`));
    try {
      return await Promise.race([sent, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}

/** The queue id a server gives in its 250 to DATA (`250 2.0.0 Ok: queued as 4F9C…`), when it gives one. */
function queueId(response: string | undefined): string | undefined {
  const m = /queued as ([A-Za-z0-9._-]+)/i.exec(response ?? '');
  return m?.[1];
}

/** nodemailer's error → outcome, from its `code` and the server's `responseCode` only. */
export function smtpFailure(err: unknown, server: string): DeliveryOutcome {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'error';
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const detail = `${server}: ${code}${reply !== undefined ? ` ${reply}` : ''}${typeof e.command === 'string' ? ` to ${e.command.split(' ')[0]}` : ''}`;
  // 530 (authentication required, RFC 4954 §6) and 535 (credentials invalid) are about credentials, whatever the command.
  if (code === 'EAUTH' || code === 'ENOAUTH' || reply === 530 || reply === 535) return { ok: false, retryable: true, code: NOTIFY_SMTP_AUTH, detail };
  if (reply !== undefined && reply >= 500) return { ok: false, retryable: false, code: NOTIFY_SMTP_REJECTED, detail };
  if (reply !== undefined && reply >= 400) return { ok: false, retryable: true, code: NOTIFY_SMTP_DEFERRED, detail };
  if (UNREACHABLE.has(code)) return { ok: false, retryable: true, code: NOTIFY_SMTP_UNREACHABLE, detail };
  return { ok: false, retryable: true, code: NOTIFY_SMTP_DEFERRED, detail };
}
