/**
 * The agent's side of signed over-the-air updates (issue 16 §4), a fleet part named `update`:
 * the relay's answer says which version to run; the updater checks the manifest's ed25519
 * signature with the gateway's own public key (before downloading a byte), downloads the tarball
 * resumably in the background, checks size and sha256, unpacks it beside the running version,
 * marks the update pending, switches `current` and asks for a restart. The new version confirms
 * its health (a record stored or the relay reached) within update.confirmDeadlineS, or switches
 * back itself; one that crashes at start is switched back by deploy/pi/boot-check.sh. The buffer is
 * never touched here: the new version opens it and migrates it as any start does (with the copy
 * taken before migrating, agent/buffer/backup.ts).
 */
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { sha256File } from '../../platform/sha256-file.ts';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { type UpdateAnswer, type UpdateReport, type UpdateState, updateAnswerSchema, verifyManifest } from '../../protocols/release/index.ts';
import { checkContent } from '../../protocols/release/manifest.ts';
import { downloadResumable } from './download.ts';
import { UPDATE_ANSWER_MISMATCH, UPDATE_FAILED, UPDATE_INSTALL_FAILED, UPDATE_UNHEALTHY, UpdateError } from './errors.ts';
import { currentVersion, switchCurrent, unpackRelease } from './layout.ts';
import { clearPending, readPending, readResult, writePending, writeResult } from './markers.ts';
import type { UpdateConfig } from './schema.ts';

export interface UpdaterOptions {
  readonly config: UpdateConfig;
  readonly publicKeys: readonly KeyObject[];
  /** The version this process runs (its package.json). */
  readonly version: string;
  /** The relay's base URL, for an answer's relative tarball URL. */
  readonly baseUrl: string | undefined;
  /** True once this start has stored a record or reached the relay. */
  readonly healthy: () => boolean;
  /** Stop the agent and exit with RESTART_EXIT_CODE (restart.ts). */
  readonly restart: (reason: string) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often health is checked while confirming, ms (default 1 000). */
  readonly checkEveryMs?: number;
}

export class Updater {
  readonly name = 'update';
  private state: UpdateState = 'idle';
  private target: string | undefined;
  private progress = 0;
  private reason: string | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  /** Versions refused for good (bad signature, rolled back): asked again, they are not retried. */
  private readonly refused = new Map<string, string>();
  private readonly logger: Logger;
  private started = false;

  constructor(private readonly o: UpdaterOptions) {
    this.logger = o.logger.child({ component: 'update' });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { root } = this.o.config;
    const result = readResult(root);
    if (result?.state === 'rolled_back') {
      this.set('rolled_back', result.version, result.reason);
      this.refused.set(result.version, result.reason);
    }
    const pending = readPending(root);
    if (pending === undefined) return;
    if (currentVersion(root) !== pending.next || pending.next !== this.o.version) {
      // Killed before the switch, or switched back already: the version running is the consistent one.
      clearPending(root);
      return;
    }
    this.set('confirming', pending.next);
    const deadline = this.o.clock.now() + this.o.config.confirmDeadlineS * 1000;
    const check = (): void => {
      this.confirmTimer = undefined;
      if (this.o.healthy()) {
        clearPending(root);
        writeResult(root, { state: 'confirmed', version: pending.next, from: pending.previous, reason: '', at: Math.floor(this.o.clock.now() / 1000) });
        this.logger.info({ version: pending.next, from: pending.previous }, 'update confirmed');
        this.set('idle', undefined);
      } else if (this.o.clock.now() >= deadline) {
        this.rollBack(pending.previous, pending.next, UPDATE_UNHEALTHY);
      } else {
        this.confirmTimer = setTimeout(check, this.o.checkEveryMs ?? 1000);
      }
    };
    check();
  }

  async stop(): Promise<void> {
    if (this.confirmTimer !== undefined) clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
    this.abort?.abort();
    await this.running?.catch(() => undefined);
  }

  report(): UpdateReport {
    return {
      current: this.o.version,
      state: this.state,
      ...(this.target === undefined ? {} : { target: this.target }),
      progress: this.progress,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
    };
  }

  /** FleetPart: the relay's answer for this part; the work runs in the background (whenSettled() for tests). Never rejects. */
  async apply(answer: unknown): Promise<void> {
    if (!this.started || this.running !== undefined || this.state === 'confirming' || this.state === 'switching') return;
    const parsed = updateAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      this.logger.warn({ issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'update answer malformed: ignored');
      return;
    }
    const a = parsed.data;
    if (a.version === this.o.version || this.refused.has(a.version)) return;
    this.running = this.update(a).finally(() => {
      this.running = undefined;
      this.abort = undefined;
    });
  }

  /** Resolves when the update in progress (if any) has ended, whichever way. */
  async whenSettled(): Promise<void> {
    await this.running;
  }

  private async update(a: UpdateAnswer): Promise<void> {
    const { config } = this.o;
    this.set('verifying', a.version);
    this.progress = 0;
    try {
      // The signature first: nothing is downloaded for a release the gateway would refuse.
      const manifest = verifyManifest(Buffer.from(a.manifest, 'base64'), a.signature, this.o.publicKeys);
      if (manifest.version !== a.version || manifest.size !== a.size || manifest.sha256 !== a.sha256)
        throw new UpdateError(UPDATE_ANSWER_MISMATCH, `the relay's answer for ${a.version} does not match its signed manifest`);
      const previous = currentVersion(config.root);
      if (previous === undefined)
        throw new UpdateError(UPDATE_INSTALL_FAILED, `no ${path.join(config.root, 'current')}: not installed by deploy/pi/install.sh`);
      mkdirSync(config.dir, { recursive: true });
      const part = path.join(config.dir, `${manifest.version}-${manifest.sha256.slice(0, 16)}.part`);
      // One download kept at a time: a version the relay no longer asks for frees its space.
      for (const name of readdirSync(config.dir))
        if (name.endsWith('.part') && path.join(config.dir, name) !== part) rmSync(path.join(config.dir, name), { force: true });
      this.set('downloading', a.version);
      this.abort = new AbortController();
      const got = await downloadResumable({
        url: this.absolute(a.url),
        file: part,
        size: manifest.size,
        rateBytesPerS: config.rateBytesPerS,
        timeoutMs: config.timeoutMs,
        signal: this.abort.signal,
        onProgress: (bytes) => (this.progress = Math.min(1, bytes / manifest.size)),
      });
      this.progress = 1;
      this.logger.info({ version: a.version, transferred: got.transferred, resumedFrom: got.resumedFrom }, 'update downloaded');
      this.set('verifying', a.version);
      const digest = await sha256File(part);
      try {
        checkContent(manifest, manifest.size, digest);
      } catch (err) {
        rmSync(part, { force: true });
        throw err;
      }
      this.set('switching', a.version);
      await unpackRelease(config.root, part, manifest.version, manifest.sha256);
      // Pending before the switch: a kill between the two leaves a marker the next start clears.
      writePending(config.root, { previous, next: manifest.version, starts: 0, maxStarts: config.maxStarts });
      switchCurrent(config.root, manifest.version);
      rmSync(part, { force: true });
      this.logger.info({ version: manifest.version, previous }, 'update switched: restarting on the new version');
      this.o.restart(`update to ${manifest.version}`);
    } catch (err) {
      const code = isAtalayaError(err) ? err.code : UPDATE_FAILED;
      this.logger.warn({ err, code, version: a.version }, 'update failed');
      if (code.startsWith('ATALAYA_RELEASE_') || code === UPDATE_ANSWER_MISMATCH) this.refused.set(a.version, code);
      this.set('failed', a.version, code);
    }
  }

  private rollBack(previous: string, next: string, reason: string): void {
    const { root } = this.o.config;
    this.logger.error({ version: next, previous, reason }, 'update did not confirm its health: switching back');
    switchCurrent(root, previous);
    writeResult(root, { state: 'rolled_back', version: next, from: previous, reason, at: Math.floor(this.o.clock.now() / 1000) });
    clearPending(root);
    this.set('rolled_back', next, reason);
    this.o.restart(`rolled back from ${next}`);
  }

  private absolute(url: string): string {
    if (!url.startsWith('/')) return url;
    if (this.o.baseUrl === undefined) throw new UpdateError(UPDATE_ANSWER_MISMATCH, 'a relative tarball URL and no relay URL');
    return `${this.o.baseUrl.replace(/\/+$/, '')}${url}`;
  }

  private set(state: UpdateState, target: string | undefined, reason?: string): void {
    this.state = state;
    this.target = target;
    this.reason = reason;
  }
}
