import type { Logger } from 'pino';
import type { Channel, DeliveryOutcome, Notification } from '../../platform/notify/types.ts';
import { AtPort, type AtPortFactory } from './at-port.ts';
import {
  isPagingError,
  PAGING_MODEM_ERROR,
  PAGING_MODEM_TIMEOUT,
  PAGING_NO_SIGNAL,
  PAGING_NOT_REGISTERED,
  PAGING_SIM_NOT_READY,
  PagingError,
} from './errors.ts';
import type { ModemChannelConfig } from './schema.ts';
import { modemText } from './sms-text.ts';

export interface ModemChannelOptions {
  readonly config: ModemChannelConfig;
  readonly now: () => number;
  readonly logger: Logger;
  readonly portFactory?: AtPortFactory;
}

/**
 * +CMS ERROR values resending cannot fix (TS 24.011 §8.2.5.4 causes, TS 27.005 §3.2.5): unassigned
 * number, barring, transfer rejected, facility rejected, unknown subscriber, not subscribed,
 * invalid text/PDU parameters. Everything else (38 network out of order, 41 temporary failure,
 * 42 congestion, 331 no network service, 500 unknown…) is retried.
 */
const PERMANENT_CMS = new Set([1, 8, 10, 21, 29, 30, 50, 96, 304, 305]);

/**
 * SMS through a cellular modem in text mode (issue 13 §7): one port, one command at a time.
 * Per message: the init sequence when the port was (re)opened (ATE0, AT+CMGF=1, AT+CSCS="GSM",
 * AT+CSCA when an SMSC is configured), then AT+CPIN? / AT+CSQ / AT+CREG? so that a modem without
 * signal or network is a retryable outcome rather than a long AT+CMGS timeout, then
 * AT+CMGS="<number>", the text and Ctrl-Z (docs/modem.md).
 */
export class ModemChannel implements Channel {
  readonly kind = 'modem' as const;
  private readonly port: AtPort;
  private initializedOpen = 0;
  /** Sends queue here: the modem takes one command at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly o: ModemChannelOptions) {
    this.log = o.logger.child({ component: 'paging-modem', path: o.config.path });
    this.port = new AtPort({
      path: o.config.path,
      baudRate: o.config.baudRate,
      reopenMs: o.config.reopenMs,
      now: o.now,
      logger: o.logger,
      portFactory: o.portFactory,
    });
  }

  send(address: string, message: Notification): Promise<DeliveryOutcome> {
    const run = this.queue.then(() => this.sendNow(address, message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.port.close();
  }

  private async sendNow(address: string, message: Notification): Promise<DeliveryOutcome> {
    const { commandTimeoutMs: t, sendTimeoutMs } = this.o.config;
    try {
      await this.port.open();
      if (this.initializedOpen !== this.port.opens) {
        await this.port.command('ATE0', t);
        await this.port.command('AT+CMGF=1', t);
        await this.port.command('AT+CSCS="GSM"', t);
        if (this.o.config.smsc !== undefined) await this.port.command(`AT+CSCA="${this.o.config.smsc}"`, t);
        this.initializedOpen = this.port.opens;
      }
      await this.checkSim(t);
      const csq = /\+CSQ:\s*(\d+)/.exec((await this.port.command('AT+CSQ', t)).join('\n'));
      if (csq === null || csq[1] === '99') throw new PagingError(PAGING_NO_SIGNAL, 'no signal (AT+CSQ 99)');
      const creg = /\+CREG:\s*\d+,\s*(\d+)/.exec((await this.port.command('AT+CREG?', t)).join('\n'));
      if (creg === null || (creg[1] !== '1' && creg[1] !== '5'))
        throw new PagingError(PAGING_NOT_REGISTERED, `not registered (AT+CREG? stat ${creg?.[1] ?? '?'})`);
      await this.port.command(`AT+CMGS="${address}"`, t, { prompt: true });
      const lines = await this.port.submit(modemText(message.title, message.text), sendTimeoutMs);
      const mr = /\+CMGS:\s*(\d+)/.exec(lines.join('\n'))?.[1];
      return mr === undefined ? { ok: true } : { ok: true, providerId: mr };
    } catch (err) {
      // After a timeout the modem's state is unknown: initialize it again before the next message.
      if (isPagingError(err) && err.code === PAGING_MODEM_TIMEOUT) this.initializedOpen = -1;
      if (!isPagingError(err)) {
        this.log.error({ err }, 'unexpected failure sending an SMS');
        return { ok: false, retryable: true, code: PAGING_MODEM_ERROR, detail: 'unexpected failure' };
      }
      const cms = typeof err.details?.cms === 'number' ? err.details.cms : undefined;
      return { ok: false, retryable: cms === undefined || !PERMANENT_CMS.has(cms), code: err.code, detail: err.message };
    }
  }

  private async checkSim(t: number): Promise<void> {
    const answer = (await this.port.command('AT+CPIN?', t)).join('\n');
    if (answer.includes('READY')) return;
    const pin = this.o.config.pin;
    if (pin === undefined || !answer.includes('SIM PIN')) throw new PagingError(PAGING_SIM_NOT_READY, `SIM not ready (${answer || 'no answer'})`);
    try {
      await this.port.command(`AT+CPIN="${pin}"`, t, { secret: true });
    } catch (err) {
      throw new PagingError(PAGING_SIM_NOT_READY, 'SIM refused the configured PIN', { cause: err });
    }
  }
}
