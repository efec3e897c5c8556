/**
 * Issue 16 §4 figure: bytes on the wire for an update download cut at 50 % and resumed. A relay
 * (SQLite, releases enabled) hosts a signed release (dist/release's real tarball when built, else
 * 20 MB of random bytes packed like one); the agent's downloader fetches it through a TCP proxy
 * that counts every byte (HTTP headers included) and cuts the first transfer half way. Compared
 * with starting over, which a download without Range would do. Prints figures, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/update-resume.ts
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { downloadResumable } from '../../agent/update/download.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { systemClock } from '../../protocols/clock.ts';
import { releaseDir, releaseTarballName } from '../helpers/release.ts';
import { DownloadFaultProxy } from '../helpers/update-arm64.ts';
import { fakeReleaseTarball, generateReleaseKeyPair, signRelease } from '../helpers/update-release.ts';
import { fmt, machineLine, out } from './common.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-bench-update-'));
const keys = generateReleaseKeyPair();
const real = path.join(releaseDir(), releaseTarballName());
const tarball = existsSync(real) ? real : fakeReleaseTarball(dir, '0.1.0', 20 * 1024 * 1024);
const release = signRelease(tarball, '0.1.0', keys);
const relay = new Relay(
  parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    fleet: {},
    releases: { enabled: true, publicKeys: [keys.publicKeyPem], dir: path.join(dir, 'releases') },
  }),
  { logger: pino({ level: 'silent' }), clock: systemClock, env: { ATALAYA_RELAY_KEY: newRelayKey() }, anchorSchedule: false },
);
try {
  await relay.start();
  await relay.releases!.add(release.tarball, release.manifest, release.signature, 'bench');
  await relay.releases!.rollout('0.1.0', { kind: 'all' }, 100, 'bench');
  const answer = (await relay.releases!.answer('gw-bench', Date.now()))!;
  const proxy = new DownloadFaultProxy(relay.address.port);
  const url = `http://127.0.0.1:${await proxy.listen()}${answer.url}`;
  const part = path.join(dir, 'download.part');
  const half = Math.floor(release.size / 2);
  proxy.faults.push({ kind: 'cut', afterBytes: half });
  const first = await downloadResumable({ url, file: part, size: release.size, rateBytesPerS: 0, timeoutMs: 30_000 }).catch(() => undefined);
  const afterCut = { ...proxy.bytes, kept: statSync(part).size };
  const resumed = await downloadResumable({ url, file: part, size: release.size, rateBytesPerS: 0, timeoutMs: 30_000 });
  const total = proxy.bytes.down;
  await proxy.close();
  out(machineLine());
  out(`release: ${path.basename(tarball)}, ${fmt(release.size)} bytes${tarball === real ? '' : ' (stand-in: no dist/release tarball)'}`);
  out(`first attempt, cut at 50 %: ${fmt(afterCut.down)} bytes down (${fmt(afterCut.kept)} kept in the part file)${first === undefined ? '' : ' (not cut?)'}`);
  out(`resumed from byte ${fmt(resumed.resumedFrom)}: ${fmt(total - afterCut.down)} bytes down (body ${fmt(resumed.transferred)})`);
  out(`total on the wire, down: ${fmt(total)} bytes = ${fmt((100 * total) / release.size, 2)} % of the release; up (requests): ${fmt(proxy.bytes.up)} bytes`);
  out(`starting over instead: ${fmt(afterCut.down + release.size)} bytes = ${fmt((100 * (afterCut.down + release.size)) / release.size, 2)} %`);
} finally {
  await relay.stop();
  rmSync(dir, { recursive: true, force: true });
}
