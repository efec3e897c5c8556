/**
 * Releases for the update tests (issue 16 §4): a small tarball shaped like a real release
 * (atalaya/package.json, atalaya/bin/atalaya.mjs), signed with a throwaway key, and a loopback
 * file server with Range support that can cut a body part way (a link dropped mid-download).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  encodeManifest,
  generateReleaseKeyPair,
  type ReleaseKeyPair,
  releasePrivateKey,
  signManifest,
  type UpdateAnswer,
} from '../../protocols/release/index.ts';

/** A fake release tarball of `version`: `<dir>/atalaya-<version>-linux-arm64.tar.gz`. */
export function fakeReleaseTarball(dir: string, version: string, padBytes = 64 * 1024): string {
  const src = path.join(dir, `src-${version}`);
  mkdirSync(path.join(src, 'atalaya', 'bin'), { recursive: true });
  writeFileSync(path.join(src, 'atalaya', 'package.json'), `${JSON.stringify({ name: 'atalaya', version }, null, 2)}\n`);
  writeFileSync(path.join(src, 'atalaya', 'bin', 'atalaya.mjs'), '#!/usr/bin/env node\n', { mode: 0o755 });
  // Incompressible filler, so the tarball has a size worth resuming.
  writeFileSync(path.join(src, 'atalaya', 'filler.bin'), randomBytes(padBytes));
  const tarball = path.join(dir, `atalaya-${version}-linux-arm64.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', src, 'atalaya']);
  return tarball;
}

export interface SignedRelease {
  readonly tarball: string;
  readonly manifest: Buffer;
  readonly signature: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: string;
}

export function signRelease(tarball: string, version: string, keys: ReleaseKeyPair): SignedRelease {
  const bytes = readFileSync(tarball);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest = encodeManifest({ version, file: path.basename(tarball), size: bytes.length, sha256, created_at: new Date().toISOString() });
  return { tarball, manifest, signature: signManifest(manifest, releasePrivateKey(keys.privateKeyPem)), size: bytes.length, sha256, version };
}

export function answerFor(r: SignedRelease, url: string): UpdateAnswer {
  return { version: r.version, size: r.size, sha256: r.sha256, manifest: r.manifest.toString('base64'), signature: r.signature, url };
}

export { generateReleaseKeyPair };

export interface RangeServer {
  readonly url: (name: string) => string;
  /** Bytes of bodies sent, and requests, per file name. */
  readonly sent: Map<string, number>;
  readonly requests: Array<{ name: string; range: string | undefined }>;
  /** When set, the next body is cut (socket destroyed) after this many bytes of it. */
  cutNextAfter: number | undefined;
  close(): Promise<void>;
}

/** Serves `files` (name → path) with single-range support (RFC 9110 §14.2), on 127.0.0.1:0. */
export async function rangeServer(files: ReadonlyMap<string, string>): Promise<RangeServer> {
  const state: RangeServer = {
    url: () => '',
    sent: new Map(),
    requests: [],
    cutNextAfter: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    state.requests.push({ name, range: req.headers.range });
    const file = files.get(name);
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(file);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m === null ? 0 : Number(m[1]);
    const body = bytes.subarray(from);
    res.writeHead(m === null ? 200 : 206, {
      'content-length': body.length,
      ...(m === null ? {} : { 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` }),
    });
    const cut = state.cutNextAfter;
    state.cutNextAfter = undefined;
    const out = cut === undefined ? body : body.subarray(0, cut);
    state.sent.set(name, (state.sent.get(name) ?? 0) + out.length);
    if (cut === undefined) res.end(out);
    else res.write(out, () => setImmediate(() => res.socket?.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: (name: string) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}` });
}
