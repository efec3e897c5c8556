/**
 * The files of remote configuration (issue 16 §2), next to the local config `<dir>/agent.yaml`:
 *
 * - `agent.yaml.remote.yaml`: the config the relay sent that the agent runs (on probation or
 *   confirmed). While it exists it wins over the local file (the one rule, agent/config/README.md).
 * - `agent.yaml.remote.good.yaml`: the last remote config that passed probation, kept to roll back
 *   to; absent when the local file is the last good one.
 * - `agent.yaml.remote.state.json`: what to report to the relay (version, state, reason) and
 *   whether the running remote config is still on probation.
 *
 * Every write is a temp file, fsync, rename, fsync of the directory: a SIGKILL or power cut leaves
 * each file whole, old or new, never half-written. The YAML files begin with a comment naming their
 * version and sha256, so each is self-describing.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CONFIG_STATES } from '../../protocols/fleet/config-wire.ts';

export const stateSchema = z.object({
  /** Remote version running (null: the local file). */
  applied: z.number().int().nullable(),
  /** Last version the relay sent and what became of it. */
  version: z.number().int().nullable(),
  state: z.enum(CONFIG_STATES),
  reason: z.string().nullable(),
  /** Gateway wall clock when the running remote config was installed, ms; set while on probation. */
  probationSince: z.number().int().nullable(),
});
export type RemoteConfigState = z.infer<typeof stateSchema>;

export const LOCAL_STATE: RemoteConfigState = { applied: null, version: null, state: 'local', reason: null, probationSince: null };

export interface RemoteFile {
  readonly version: number;
  readonly sha256: string;
  readonly path: string;
}

const HEADER = /^# atalaya remote config: version (\d+) sha256 ([0-9a-f]{64})\n/;

export class RemoteConfigFiles {
  readonly remote: string;
  readonly good: string;
  readonly statePath: string;

  constructor(readonly local: string) {
    this.remote = `${local}.remote.yaml`;
    this.good = `${local}.remote.good.yaml`;
    this.statePath = `${local}.remote.state.json`;
  }

  /** The file the agent runs: the remote config when there is one, else the local file. */
  effective(): string {
    return existsSync(this.remote) ? this.remote : this.local;
  }

  state(): RemoteConfigState {
    try {
      const parsed = stateSchema.safeParse(JSON.parse(readFileSync(this.statePath, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // Absent or unreadable: described from the files below.
    }
    const running = this.describe(this.remote);
    return running === undefined ? LOCAL_STATE : { ...LOCAL_STATE, applied: running.version, version: running.version, state: 'applied' };
  }

  setState(state: RemoteConfigState): void {
    writeAtomic(this.statePath, `${JSON.stringify(state)}\n`);
  }

  describe(file: string): RemoteFile | undefined {
    let head: string;
    try {
      head = readFileSync(file, 'utf8').slice(0, 200);
    } catch {
      return undefined;
    }
    const m = HEADER.exec(head);
    return m === null ? undefined : { version: Number(m[1]), sha256: m[2] as string, path: file };
  }

  /** Text as the relay sent it, without our header. */
  static body(text: string): string {
    return text.replace(HEADER, '');
  }

  /**
   * Installs a new remote config, on probation: the running one, if it was a confirmed remote
   * config, becomes the good copy first; then the new file replaces the running one. A kill
   * between the steps leaves the running config whole (old or new) and the state saying
   * probation, which start-up resolves by rolling back (config-supervisor.ts).
   */
  install(version: number, sha256: string, yaml: string, now: number): void {
    const before = this.state();
    this.setState({ applied: before.applied, version, state: 'probation', reason: null, probationSince: now });
    if (before.probationSince === null && existsSync(this.remote)) writeAtomic(this.good, readFileSync(this.remote, 'utf8'));
    else if (before.probationSince === null) rmSync(this.good, { force: true });
    writeAtomic(this.remote, `# atalaya remote config: version ${version} sha256 ${sha256}\n${yaml}`);
    this.setState({ applied: version, version, state: 'probation', reason: null, probationSince: now });
  }

  /** Probation passed: the running remote config is the last good one. */
  confirm(): RemoteConfigState {
    const s = this.state();
    const next = { ...s, state: 'applied' as const, reason: null, probationSince: null };
    this.setState(next);
    rmSync(this.good, { force: true });
    syncDir(this.local);
    return next;
  }

  /** Back to the last good config (the good copy, or the local file when there is none), reporting why. */
  rollback(reason: string): RemoteConfigState {
    const s = this.state();
    const good = this.describe(this.good);
    if (good !== undefined) {
      renameSync(this.good, this.remote);
    } else {
      rmSync(this.remote, { force: true });
    }
    syncDir(this.local);
    const next: RemoteConfigState = { applied: good?.version ?? null, version: s.version, state: 'rolled_back', reason, probationSince: null };
    this.setState(next);
    return next;
  }

  /** A config the agent refused: nothing changes but what it reports. */
  refuse(version: number, reason: string): RemoteConfigState {
    const s = this.state();
    const next: RemoteConfigState = { ...s, version, state: 'refused', reason };
    this.setState(next);
    return next;
  }

  /** `atalaya agent config local`: the local file wins again until the relay sends a new version. */
  useLocal(): RemoteConfigState {
    const s = this.state();
    rmSync(this.remote, { force: true });
    rmSync(this.good, { force: true });
    syncDir(this.local);
    const next: RemoteConfigState = { applied: null, version: s.version, state: 'local', reason: 'local file chosen on the gateway', probationSince: null };
    this.setState(next);
    return next;
  }
}

/** Temp file, fsync, rename over the target, fsync of the directory (the rename itself durable). */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(file);
}

function syncDir(file: string): void {
  const fd = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
