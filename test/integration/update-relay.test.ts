/**
 * Issue 16 §4 at the relay: releases hosted only when signed by a configured release key and
 * matching their manifest (an operator token, or the CLI on the relay, cannot host an unsigned
 * build), rollouts audited with the operator and reaching a canary share first, the fleet part
 * `update` answering with the signed manifest and a short-lived URL, and the tarball served with
 * Range (resumable) to that URL only.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { Relay } from '../../cloud/main.ts';
import { isReleasesError, RELEASES_UNKNOWN_VERSION, RELEASES_VERSION_EXISTS } from '../../cloud/releases/errors.ts';
import type { ReleaseService } from '../../cloud/releases/service.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { canaryBucket, RELEASE_CONTENT_MISMATCH, RELEASE_SIGNATURE_INVALID } from '../../protocols/release/index.ts';
import { testLogger } from '../helpers/logger.ts';
import { fakeReleaseTarball, generateReleaseKeyPair, type SignedRelease, signRelease } from '../helpers/update-release.ts';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isAtalayaError(err) ? err.code : `not coded: ${String(err)}`;
  }
  return undefined;
}

describe('relay release hosting', () => {
  const keys = generateReleaseKeyPair();
  const stranger = generateReleaseKeyPair();
  const token = newApiToken();
  let dir: string;
  let relay: Relay;
  let releases: ReleaseService;
  let url: string;
  let v2: SignedRelease;
  let now = Date.parse('2026-12-07T22:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-update-relay-'));
    v2 = signRelease(fakeReleaseTarball(dir, '0.2.0', 128 * 1024), '0.2.0', keys);
    const config = parseRelayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
      apiTokens: [{ name: 'alice', sha256: hashApiToken(token) }],
      releases: { enabled: true, publicKeys: [keys.publicKeyPem], dir: path.join(dir, 'releases'), urlTtlS: 60 },
    });
    relay = new Relay(config, {
      logger: testLogger(),
      clock: { now: () => now, monotonic: () => performance.now() },
      env: { ATALAYA_RELAY_KEY: newRelayKey() },
      anchorSchedule: false,
    });
    await relay.start();
    releases = relay.releases!;
    url = `http://127.0.0.1:${relay.address.port}`;
  });
  afterAll(async () => {
    await relay?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  it('refuses a release signed by another key, or a tarball that is not the one signed, and hosts the signed one once', async () => {
    const forged = signRelease(v2.tarball, '0.2.0', stranger);
    expect(await codeOf(releases.add(forged.tarball, forged.manifest, forged.signature, 'alice'))).toBe(RELEASE_SIGNATURE_INVALID);
    const swapped = path.join(dir, 'swapped.tar.gz');
    copyFileSync(fakeReleaseTarball(dir, '0.2.0-evil', 128 * 1024), swapped);
    // Same size, other bytes: the manifest's sha256 catches it.
    writeFileSync(swapped, Buffer.concat([readFileSync(swapped), Buffer.alloc(Math.max(0, v2.size - readFileSync(swapped).length))]).subarray(0, v2.size));
    expect(await codeOf(releases.add(swapped, v2.manifest, v2.signature, 'alice'))).toBe(RELEASE_CONTENT_MISMATCH);
    expect((await releases.overview()).releases).toEqual([]);

    const hosted = await releases.add(v2.tarball, v2.manifest, v2.signature, 'alice');
    expect(hosted).toMatchObject({ version: '0.2.0', size: v2.size, sha256: v2.sha256, addedBy: 'alice' });
    expect(await releases.add(v2.tarball, v2.manifest, v2.signature, 'bob')).toMatchObject({ addedBy: 'alice' });
    const other = signRelease(fakeReleaseTarball(path.join(dir, 'releases'), '0.2.0', 1024), '0.2.0', keys);
    expect(await codeOf(releases.add(other.tarball, other.manifest, other.signature, 'alice'))).toBe(RELEASES_VERSION_EXISTS);
    expect(isReleasesError(await releases.rollout('9.9.9', { kind: 'all' }, 100, 'alice').catch((e: unknown) => e), RELEASES_UNKNOWN_VERSION)).toBe(true);
  });

  it('has no HTTP route that hosts a release: an operator token can only roll out what was signed', async () => {
    const res = await api('/v1/releases', { method: 'POST', body: JSON.stringify({ manifest: 'x' }) });
    expect(res.status).toBe(404);
    expect((await api('/v1/releases/9.9.9/rollout', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('rolls out to a canary share first, audited with the operator, and answers gateways that should move', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `gw-${i}`);
    const res = await api('/v1/releases/0.2.0/rollout', { method: 'POST', body: JSON.stringify({ percent: 25 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ actor: 'alice' });
    const answered = [];
    for (const id of ids) if ((await releases.answer(id, now)) !== undefined) answered.push(id);
    expect(answered).toEqual(ids.filter((id) => canaryBucket(id) < 25));
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(ids.length);

    // A gateway already on the version is not asked again; its report is kept.
    const first = answered[0]!;
    await releases.onReport(first, { current: '0.2.0', state: 'idle', progress: 0 }, now);
    expect(await releases.answer(first, now)).toBeUndefined();
    // Nor one that refused it for good; one whose download failed is answered again (it resumes).
    const [second, third] = answered.slice(1);
    await releases.onReport(second!, { current: '0.1.0', state: 'rolled_back', target: '0.2.0', progress: 1, reason: 'ATALAYA_UPDATE_CRASHED' }, now);
    expect(await releases.answer(second!, now)).toBeUndefined();
    await releases.onReport(third!, { current: '0.1.0', state: 'failed', target: '0.2.0', progress: 0.5, reason: 'ATALAYA_UPDATE_DOWNLOAD_FAILED' }, now);
    expect(await releases.answer(third!, now)).toMatchObject({ version: '0.2.0' });
    const overview = (await (await api('/v1/releases')).json()) as {
      rollouts: Array<{ actor: string; percent: number }>;
      gateways: Array<{ gateway: string; current: string }>;
    };
    expect(overview.rollouts).toEqual([expect.objectContaining({ actor: 'alice', percent: 25 })]);
    expect(overview.gateways).toEqual(expect.arrayContaining([expect.objectContaining({ gateway: first, current: '0.2.0' })]));
    expect((await fetch(`${url}/v1/releases`)).status).toBe(401);
  });

  it('serves the tarball to its signed URL only, with byte ranges, until the URL expires', async () => {
    await api('/v1/releases/0.2.0/rollout', { method: 'POST', body: JSON.stringify({ gateways: ['gw-dl'] }) });
    const answer = (await releases.answer('gw-dl', now))!;
    expect(answer).toMatchObject({ version: '0.2.0', size: v2.size, sha256: v2.sha256, signature: v2.signature });
    expect(Buffer.from(answer.manifest, 'base64')).toEqual(v2.manifest);

    const whole = await fetch(`${url}${answer.url}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(
      createHash('sha256')
        .update(Buffer.from(await whole.arrayBuffer()))
        .digest('hex'),
    ).toBe(v2.sha256);

    const half = Math.floor(v2.size / 2);
    const rest = await fetch(`${url}${answer.url}`, { headers: { range: `bytes=${half}-` } });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes ${half}-${v2.size - 1}/${v2.size}`);
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(readFileSync(v2.tarball).subarray(half));
    expect((await fetch(`${url}${answer.url}`, { headers: { range: `bytes=${v2.size}-` } })).status).toBe(416);

    // Another gateway's name in the URL, or a forged signature: refused.
    expect((await fetch(`${url}${answer.url.replace('gateway=gw-dl', 'gateway=gw-other')}`)).status).toBe(403);
    expect((await fetch(`${url}${answer.url.replace(/sig=[0-9a-f]{4}/, 'sig=0000')}`)).status).toBe(403);
    now += 61_000;
    expect((await fetch(`${url}${answer.url}`)).status).toBe(403);
  });
});
