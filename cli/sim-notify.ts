import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { NOTIFY_FAULT_KINDS, type NotifyFaultKind, type NotifyFaults } from '../simulators/notify/faults.ts';
import { Inbox } from '../simulators/notify/inbox.ts';
import { NotifySimulator } from '../simulators/notify/simulator.ts';
import { untilSignal } from './signals.ts';
import { portArg, usage } from './sim-args.ts';

const HELP = `atalaya sim notify [options]

A bench double of what the notification channels talk to: an SMTP catcher, a webhook receiver
(checks the HMAC signature, reports repeated idempotency keys), a Twilio-style and a generic SMS
provider, and Telegram's sendMessage. Prints one line per message received; GET /messages lists
them as JSON, GET / as a page. Stop with Ctrl-C.

Options:
  --host HOST             interface to listen on (default 127.0.0.1)
  --http-port N           HTTP port of the SMS, Telegram and webhook doubles (default 0 = any free port)
  --smtp-port N           SMTP port (default 0 = any free port)
  --no-smtp               no SMTP catcher
  --smtp-user USER        require AUTH as USER; the password from ATALAYA_SIM_SMTP_PASSWORD
  --starttls              offer STARTTLS with a self-signed certificate (its file is printed:
                          the email channel's caFile)
  --sms-sid SID           accept only this Twilio Account SID
  Secrets come from the environment, never the command line:
    ATALAYA_SIM_SMS_TOKEN        the SMS token (Twilio basic auth, generic Bearer); unset: any
    ATALAYA_SIM_TELEGRAM_TOKEN   the bot token; unset: any
    ATALAYA_SIM_WEBHOOK_SECRET   the webhook signing secret; unset: signatures not checked
  --fail 5xx|429|auth     answer HTTP requests with this fault
  --fail-rate P           probability of the fault, 0..1 (default 1)
  --seed N                seed of the fault draws (reproducible runs)
  -h, --help              this help
`;

export interface SimNotifyIo {
  readonly stdout?: { write(s: string): unknown };
  readonly until?: Promise<unknown>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function simNotifyCommand(argv: string[], io: SimNotifyIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'http-port': { type: 'string', default: '0' },
      'smtp-port': { type: 'string', default: '0' },
      'no-smtp': { type: 'boolean' },
      'smtp-user': { type: 'string' },
      starttls: { type: 'boolean' },
      'sms-sid': { type: 'string' },
      fail: { type: 'string' },
      'fail-rate': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const out = io.stdout ?? process.stdout;
  const env = io.env ?? process.env;
  if (values.help === true) {
    out.write(HELP);
    return 0;
  }
  try {
    const secret = (name: string): string | undefined => (env[name] !== undefined && env[name]!.trim() !== '' ? env[name]!.trim() : undefined);
    const smtpPassword = secret('ATALAYA_SIM_SMTP_PASSWORD');
    if (values['smtp-user'] !== undefined && smtpPassword === undefined) throw usage('--smtp-user needs the password in ATALAYA_SIM_SMTP_PASSWORD');
    const smsToken = secret('ATALAYA_SIM_SMS_TOKEN');
    const telegramToken = secret('ATALAYA_SIM_TELEGRAM_TOKEN');
    const webhookSecret = secret('ATALAYA_SIM_WEBHOOK_SECRET');
    const sim = new NotifySimulator({
      host: values.host ?? '127.0.0.1',
      httpPort: portArg('--http-port', values['http-port']),
      smtpPort: portArg('--smtp-port', values['smtp-port']),
      noSmtp: values['no-smtp'] === true,
      ...(values['smtp-user'] !== undefined ? { smtpAuth: { user: values['smtp-user'], password: smtpPassword! } } : {}),
      starttls: values.starttls === true,
      ...(values['sms-sid'] !== undefined ? { smsAccountSid: values['sms-sid'] } : {}),
      ...(smsToken !== undefined ? { smsToken } : {}),
      ...(telegramToken !== undefined ? { telegramToken } : {}),
      ...(webhookSecret !== undefined ? { webhookSecret } : {}),
      ...faultArgs(values.fail, values['fail-rate']),
      ...(values.seed !== undefined ? { seed: numArg('--seed', values.seed) } : {}),
      clock: systemClock,
      onMessage: (m) => out.write(Inbox.line(m)),
    });
    await sim.start();
    const base = sim.httpUrl!;
    out.write(`notify http   ${base}  (GET /messages as JSON, GET / as a page)\n`);
    out.write(`sms twilio    baseUrl ${base}  (POST /2010-04-01/Accounts/<sid>/Messages.json)\n`);
    out.write(`sms template  POST ${base}/sms  (form or JSON: to, text, from)\n`);
    out.write(`telegram      apiBase ${base}  (POST /bot<token>/sendMessage)\n`);
    out.write(`webhook       POST ${base}/webhook  (signature ${webhookSecret !== undefined ? 'checked' : 'not checked'})\n`);
    if (sim.smtpPort !== undefined) {
      const auth = values['smtp-user'] !== undefined ? `AUTH as ${values['smtp-user']}` : 'no AUTH';
      out.write(
        `smtp          ${values.host}:${sim.smtpPort}  (${auth}; ${sim.certFile !== undefined ? `STARTTLS, certificate ${sim.certFile}` : 'no TLS'})\n`,
      );
    }
    if (values.fail !== undefined) out.write(`faults        ${values.fail} at rate ${values['fail-rate'] ?? '1'}\n`);
    await (io.until ?? untilSignal());
    await sim.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim notify: ${err.message}\n`);
    return 2;
  }
}

function numArg(name: string, v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) throw usage(`${name} '${v}': expected a number`);
  return Number(v);
}

function faultArgs(kind: string | undefined, rate: string | undefined): { faults?: NotifyFaults } {
  if (kind === undefined) {
    if (rate !== undefined) throw usage('--fail-rate needs --fail');
    return {};
  }
  if (!(NOTIFY_FAULT_KINDS as readonly string[]).includes(kind)) throw usage(`--fail '${kind}': expected one of ${NOTIFY_FAULT_KINDS.join(', ')}`);
  const r = rate === undefined ? 1 : numArg('--fail-rate', rate);
  if (r > 1) throw usage(`--fail-rate '${rate}': expected 0..1`);
  return { faults: { kind: kind as NotifyFaultKind, rate: r } };
}
