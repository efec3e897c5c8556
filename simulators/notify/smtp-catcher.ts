/**
 * The SMTP side of the notification double: smtp-server (nodemailer's project) accepting every
 * message, optionally only after AUTH (PLAIN/LOGIN, one user) and STARTTLS (a certificate made by
 * cert.ts). Each message lands in the inbox with its subject (RFC 2047 words decoded) and Message-ID.
 */
import { SMTPServer } from 'smtp-server';
import type { Inbox } from './inbox.ts';

export interface SmtpCatcherOptions {
  readonly auth?: { readonly user: string; readonly password: string };
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Recipients starting with this are refused with 550 (to try a bad address). Default `reject`. */
  readonly rejectPrefix?: string;
}

const MAX_MESSAGE = 10 * 1024 * 1024;

export function smtpCatcher(o: SmtpCatcherOptions, inbox: Inbox): SMTPServer {
  const disabled = [...(o.auth === undefined ? ['AUTH'] : []), ...(o.tls === undefined ? ['STARTTLS'] : [])];
  const reject = o.rejectPrefix ?? 'reject';
  return new SMTPServer({
    secure: false,
    logger: false,
    banner: 'atalaya sim notify',
    size: MAX_MESSAGE,
    // A client's idle pooled connection must not hold stop() for the default 30 s.
    closeTimeout: 1000,
    disabledCommands: disabled,
    authOptional: o.auth === undefined,
    allowInsecureAuth: o.tls === undefined,
    ...(o.tls !== undefined ? { key: o.tls.key, cert: o.tls.cert } : {}),
    onAuth(auth, _session, cb) {
      if (o.auth !== undefined && auth.username === o.auth.user && auth.password === o.auth.password) return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith(reject)) return cb(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      return cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const messageId = headerOf(raw, 'Message-ID');
        const subject = headerOf(raw, 'Subject');
        const from = session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address;
        let id = '';
        for (const rcpt of session.envelope.rcptTo) {
          const m = inbox.add(
            {
              channel: 'email',
              to: rcpt.address,
              text: bodyPreview(raw),
              raw,
              ...(from !== undefined ? { from } : {}),
              ...(subject !== undefined ? { subject: decodeWords(subject) } : {}),
              ...(messageId !== undefined ? { key: messageId } : {}),
            },
            (seq) => `SIM${seq}`,
          );
          id = m.id;
        }
        cb(null, `Ok: queued as ${id}`);
      });
    },
  });
}

/** A header's unfolded value (RFC 5322 §2.2.3). */
export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).toLowerCase() === name.toLowerCase()) return line.slice(i + 1).trim();
  }
  return undefined;
}

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`) of a header, decoded. */
export function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=(\s+(?==\?))?/g, (_, charset: string, enc: string, text: string) => {
    const bytes =
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          );
    return new TextDecoder(charset.toLowerCase() === 'utf-8' ? 'utf-8' : 'latin1').decode(bytes);
  });
}

/** The first text of a message, for a listing (not a MIME parser: multipart bodies show their first lines). */
function bodyPreview(raw: string): string {
  const i = raw.search(/\r?\n\r?\n/);
  return (i < 0 ? '' : raw.slice(i).trim()).slice(0, 2000);
}
