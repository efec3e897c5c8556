/**
 * The channels a process configured, built once by its composition root. Secrets follow
 * platform/secrets.ts's rule (the variable wins over the file); a channel that needs one and has
 * none is refused here, at start-up (NOTIFY_SECRET_MISSING), not at the first alarm.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { readSecret } from '../secrets.ts';
import { EmailChannel } from './email.ts';
import { caUnreadable, secretMissing } from './errors.ts';
import type { NotifyChannelsConfig } from './schema.ts';
import { SmsHttpChannel } from './sms-http.ts';
import { TelegramChannel } from './telegram.ts';
import type { Channel, ChannelKind } from './types.ts';
import { WebhookChannel } from './webhook.ts';

export interface ChannelDeps {
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told where each secret came from (a variable's name or a file's path), never the secret. */
  readonly onSecret?: (channel: ChannelKind, source: string, looselyPermitted: boolean) => void;
  readonly dispatcher?: Dispatcher;
}

/** One channel per configured kind; close them all with closeChannels. Throws PLATFORM_SECRET_FILE_UNREADABLE, NOTIFY_SECRET_MISSING or NOTIFY_CA_UNREADABLE. */
export function buildChannels(config: NotifyChannelsConfig, deps: ChannelDeps): Map<ChannelKind, Channel> {
  const secret = (kind: ChannelKind, envName: string, file: string | undefined, required: boolean): string | undefined => {
    const s = readSecret(envName, file, deps.env);
    if (s === undefined) {
      if (required) throw secretMissing(kind, envName, file);
      return undefined;
    }
    deps.onSecret?.(kind, s.source, s.looselyPermitted);
    return s.text.trim();
  };
  const http = deps.dispatcher !== undefined ? { dispatcher: deps.dispatcher } : {};
  const out = new Map<ChannelKind, Channel>();
  if (config.email !== undefined) {
    const e = config.email;
    out.set(
      'email',
      new EmailChannel({ config: e, password: e.user !== undefined ? secret('email', e.passwordEnv, e.passwordFile, true) : undefined, ca: readCa(e.caFile) }),
    );
  }
  if (config.webhook !== undefined) {
    const w = config.webhook;
    out.set('webhook', new WebhookChannel({ config: w, secret: secret('webhook', w.secretEnv, w.secretFile, false), clock: deps.clock, ...http }));
  }
  if (config.sms !== undefined) {
    const s = config.sms;
    out.set('sms', new SmsHttpChannel({ config: s, token: secret('sms', s.tokenEnv, s.tokenFile, true) ?? '', clock: deps.clock, ...http }));
  }
  if (config.telegram !== undefined) {
    const t = config.telegram;
    out.set('telegram', new TelegramChannel({ config: t, token: secret('telegram', t.tokenEnv, t.tokenFile, true) ?? '', clock: deps.clock, ...http }));
  }
  return out;
}

/** Closes every channel; one failing close does not keep the others open. */
export async function closeChannels(channels: ReadonlyMap<ChannelKind, Channel>): Promise<void> {
  await Promise.allSettled([...channels.values()].map((c) => c.close()));
}

function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw caUnreadable(file, err);
  }
}
