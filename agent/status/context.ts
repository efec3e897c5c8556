import type { Clock } from '../../protocols/clock.ts';
import type { TokenSet } from './auth.ts';
import type { EventHub } from './events.ts';
import type { LiveView } from './live.ts';
import type { Overview } from './overview.ts';
import type { StatusSources } from './sources.ts';

/** What the route handlers share; built by StatusServer.start(). */
export interface StatusContext {
  readonly sources: StatusSources;
  readonly live: LiveView;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly tokens: TokenSet;
  readonly overview: () => Promise<Overview>;
  /** Directory of index.html, app.js, app.css. */
  readonly uiDir: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token: the page's static files (they hold no data), login and logout. */
    public?: boolean;
  }
}

/** On every response (CSP: the page loads nothing from anywhere but the gateway itself). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
