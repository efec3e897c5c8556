/**
 * A real local Ethereum node for the bench, the demo and the tests: Foundry's `anvil`, from its
 * per-platform binary package (@foundry-rs/anvil-linux-amd64, an optional dependency: the
 * registry these machines reach carries no other platform's, and Foundry's @foundry-rs/anvil
 * wrapper lists them all, which breaks `npm ci` of the lock). Not a simulator of ours:
 * the relay talks to it exactly as to a public node.
 *
 * The node listens on a free port of 127.0.0.1 (`--port 0`); the port is read from its
 * "Listening on" line. Its dev accounts are funded and their keys are public (the mnemonic
 * "test test … junk"), so they are for local chains only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AtalayaError } from '../../protocols/errors.ts';
import { ANVIL_RPC_FAILED, ANVIL_START_FAILED } from './errors.ts';

/** anvil's first dev accounts (mnemonic "test test test test test test test test test test test junk"). */
export const ANVIL_DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const;

export interface AnvilOptions {
  /** Chain id, default 31337. */
  readonly chainId?: number;
  /** Seconds between blocks; default: a block per transaction (automine). */
  readonly blockTime?: number;
  /** Start with mining off (mine with rpc('evm_mine') or turn automine on again). */
  readonly noMining?: boolean;
  /** Port, default 0 (any free port). A fixed port is for a restart on the same address. */
  readonly port?: number;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
  /** How long to wait for the node to listen, ms (default 20 000). */
  readonly startTimeoutMs?: number;
}

export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly pid: number;
  /** A raw JSON-RPC call (anvil_*, evm_* included); throws ATALAYA_ANVIL_RPC_FAILED on an error answer. */
  rpc<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** Path of the anvil binary for this platform, from @foundry-rs/anvil-<os>-<arch>. */
export function anvilBinary(): string {
  const arch = ARCH[process.arch];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`;
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch (err) {
    throw new AtalayaError(ANVIL_START_FAILED, `anvil binary package ${pkg} is not installed (npm install)`, { cause: err, details: { pkg } });
  }
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--chain-id', String(chainId)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.noMining === true) args.push('--no-mining');
  args.push(...(options.args ?? []));
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child, options.startTimeoutMs ?? 20_000);
  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  let exited: Promise<void> | undefined;
  const node: AnvilNode = {
    url,
    port,
    chainId,
    pid: child.pid ?? -1,
    async rpc<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      let body: { result?: T; error?: { code: number; message: string } };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        });
        body = (await res.json()) as typeof body;
      } catch (err) {
        throw new AtalayaError(ANVIL_RPC_FAILED, `${method}: anvil unreachable`, { cause: err, details: { method } });
      }
      if (body.error !== undefined)
        throw new AtalayaError(ANVIL_RPC_FAILED, `${method}: ${body.error.message}`, { details: { method, rpcCode: body.error.code } });
      return body.result as T;
    },
    stop() {
      exited ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return exited;
    },
  };
  return node;
}

function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string, cause?: unknown): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(new AtalayaError(ANVIL_START_FAILED, `anvil did not start: ${why}`, { cause, details: { output: out.slice(-2000) } }));
    };
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /Listening on [\d.]+:(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        cleanup();
        // Keep draining so a full pipe never blocks the node.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => fail(`exited (${code ?? signal})`);
    const onError = (err: Error): void => fail(err.message, err);
    const timer = setTimeout(() => fail(`no "Listening on" line within ${timeoutMs} ms`), timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
