import type { AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import type { Authenticator, AuthResult } from './auth.ts';
import { CONNACK } from './auth.ts';
import type { RefusalCounters } from './counters.ts';
import type { AuthThrottle, Semaphore } from './throttle.ts';

export interface ConnectGateOptions {
  readonly maxClients: number;
  readonly connectedClients: () => number;
  readonly auth: Authenticator;
  readonly throttle: AuthThrottle;
  /** Bounds the password checks running at once (scrypt). */
  readonly checks: Semaphore;
  /** Longest a CONNECT waits for its back-off slot, ms; a longer wait is refused after this long. */
  readonly holdMs: number;
  /** The client's remote address (for the back-off per source). */
  readonly peer: (client: Client) => string;
  /** Credentials accepted: false refuses the client id (Gate.accept), true starts its session. */
  readonly accept: (client: Client, result: Extract<AuthResult, { ok: true }>) => boolean;
  /** The client passed authentication (admission: no deadline, larger packets). */
  readonly onAuthenticated: (client: Client) => void;
  readonly counters: RefusalCounters;
  readonly logger: Logger;
}

/** MQTT 3.1.1 §3.2.2.3: CONNACK 2, identifier rejected. */
const IDENTIFIER_REJECTED = 2;

/** Why a CONNECT was refused, for atalaya_mqtt_auth_failures_total. */
export const AUTH_FAILURES = ['bad_credentials', 'not_authorized', 'identifier_rejected', 'throttled', 'busy', 'server_full'] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

export interface AuthStats {
  /** Password checks run (scrypt computations), right or wrong. */
  readonly passwordChecks: number;
  readonly failures: Record<AuthFailure, number>;
}

export function noAuthStats(): AuthStats {
  return { passwordChecks: 0, failures: Object.fromEntries(AUTH_FAILURES.map((f) => [f, 0])) as Record<AuthFailure, number> };
}

type AuthDone = (error: AuthenticateError | null, success: boolean | null) => void;

function connectRefusal(returnCode: number): AuthenticateError {
  return Object.assign(new Error(`connection refused (CONNACK ${returnCode})`), { returnCode }) as unknown as AuthenticateError;
}

/**
 * aedes' authenticate hook: room (maxClients), then the back-off of the source address and user
 * (issue 19), then the password check, at most `checks` at once. A CONNECT without a user name
 * costs no check (it is refused with CONNACK 5 unless anonymous clients are allowed).
 */
export class ConnectGate {
  /** Back-off waits and held refusals, cleared by stop(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = noAuthStats().failures;
  private passwordChecks = 0;

  constructor(private readonly options: ConnectGateOptions) {}

  stats(): AuthStats {
    return { passwordChecks: this.passwordChecks, failures: { ...this.failures } };
  }

  /** Clears back-off waits; their CONNECTs are left to the closing broker. Idempotent. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  readonly authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: AuthDone): void => {
    const { auth, counters, maxClients, connectedClients, throttle, holdMs } = this.options;
    if (connectedClients() >= maxClients) return this.refuse(done, 'server_full', CONNACK.serverUnavailable);
    if (username === undefined || username === '') return this.verify(client, username, password, done, false);
    const key = auth.keyOf(username);
    const source = this.options.peer(client);
    const urgent = throttle.clean(source, key);
    const wait = throttle.reserve(source, key, holdMs);
    if (wait === 0) return this.verify(client, username, password, done, urgent);
    if (wait > holdMs) {
      // Refused without a check, and only after holdMs: a client that waits for its CONNACK before
      // trying again cannot loop faster than that.
      counters.add(key, 'auth_throttled');
      return this.later(holdMs, () => this.refuse(done, 'throttled', CONNACK.serverUnavailable));
    }
    this.later(wait, () => this.verify(client, username, password, done, urgent));
  };

  private verify(client: Client, username: string | undefined, password: Buffer | undefined, done: AuthDone, urgent: boolean): void {
    const { auth, counters, checks, throttle } = this.options;
    // Gone while it waited (back-off, deadline): aedes ignores an answer now, and no check is owed.
    if (client.closed) return;
    const anonymous = username === undefined || username === '';
    const source = anonymous ? '' : this.options.peer(client);
    const checked = anonymous
      ? auth.check(username, password)
      : checks.run(() => {
          if (client.closed) return Promise.resolve(undefined);
          this.passwordChecks++;
          return auth.check(username, password);
        }, urgent);
    if (checked === undefined) return this.refuse(done, 'busy', CONNACK.serverUnavailable);
    checked.then(
      (result) => {
        if (result === undefined) return;
        if (!result.ok) {
          counters.add(result.key, 'auth_failed');
          if (!anonymous) throttle.failed(source, result.key);
          return this.refuse(done, result.returnCode === CONNACK.notAuthorized ? 'not_authorized' : 'bad_credentials', result.returnCode);
        }
        if (!anonymous) throttle.succeeded(source, result.key);
        if (!this.options.accept(client, result)) {
          counters.add(result.key, 'auth_failed');
          return this.refuse(done, 'identifier_rejected', IDENTIFIER_REJECTED);
        }
        this.options.onAuthenticated(client);
        done(null, true);
      },
      (err: unknown) => {
        this.options.logger.error({ err }, 'password check failed');
        done(connectRefusal(CONNACK.serverUnavailable), false);
      },
    );
  }

  private refuse(done: AuthDone, failure: AuthFailure, returnCode: number): void {
    this.failures[failure]++;
    done(connectRefusal(returnCode), false);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
