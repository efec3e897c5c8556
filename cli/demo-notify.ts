import { randomBytes } from 'node:crypto';
import { systemClock } from '../protocols/clock.ts';
import { Inbox } from '../simulators/notify/inbox.ts';
import { NotifySimulator } from '../simulators/notify/simulator.ts';

/** Env var the relay's webhook channel reads its signing secret from (platform/notify's default). */
const WEBHOOK_SECRET_ENV = 'ATALAYA_WEBHOOK_SECRET';
/** Seconds without ingest before the demo gateway is silent, at speed 1: half the 20 s outage. */
const SILENT_AFTER_S = 10;

export interface DemoNotify {
  readonly sim: NotifySimulator;
  /** The double's page (GET /) and list (GET /messages). */
  readonly url: string;
  readonly smtp: string;
  readonly webhook: string;
  /** Environment the relay needs (the webhook signing secret). */
  readonly env: Readonly<Record<string, string>>;
  /** The relay's `alerts:` section: one group reached by email (the catcher) and webhook (the receiver). */
  section(ackLinkBaseUrl: string, speed: number): Record<string, unknown>;
}

/**
 * The notify double (our Node SMTP catcher and webhook receiver: no python needed), in process,
 * printing one line per message it catches; the webhook's signature is checked with a secret made
 * fresh each run.
 */
export async function startDemoNotify(out: { write(s: string): unknown }): Promise<DemoNotify> {
  const secret = randomBytes(24).toString('base64url');
  const sim = new NotifySimulator({
    host: '127.0.0.1',
    httpPort: 0,
    smtpPort: 0,
    webhookSecret: secret,
    clock: systemClock,
    onMessage: (m) => out.write(`  notify: ${Inbox.line(m)}`),
  });
  await sim.start();
  const url = sim.httpUrl!;
  const webhook = `${url}/webhook/guardia`;
  return {
    sim,
    url,
    smtp: `127.0.0.1:${sim.smtpPort!}`,
    webhook,
    env: { [WEBHOOK_SECRET_ENV]: secret },
    section: (ackLinkBaseUrl, speed) => ({
      enabled: true,
      ackLinkBaseUrl,
      tickMs: 500,
      // The outage lasts 20 s / speed: silence is declared halfway through it.
      silentAfterMinutes: SILENT_AFTER_S / speed / 60,
      // The LoRaWAN source's virtual gateway speaks at its provider's pace (an uplink every 10 s
      // at speed 1 here, minutes in the field), so the demo gateway's 10 s would flap it.
      silentAfter: [{ gateways: ['src-*'], minutes: 60 / speed }],
      backoffMs: { base: 1000, max: 10_000 },
      channels: {
        email: { host: '127.0.0.1', port: sim.smtpPort!, security: 'none', from: 'atalaya-demo@example.cl' },
        webhook: { secretEnv: WEBHOOK_SECRET_ENV },
      },
      groups: { guardia: { members: [{ name: 'turno', email: 'guardia@example.cl', webhook }] } },
      rules: [
        { name: 'gas', kinds: ['alarm'], subjects: ['demo-gw/*'], groups: ['guardia'] },
        { name: 'silence', kinds: ['gateway_silent'], subjects: ['demo-gw'], groups: ['guardia'] },
      ],
    }),
  };
}
