/**
 * Release hosting at the relay (issue 16 §4): accepts a release only when its manifest verifies
 * against a configured release public key and the tarball matches it (so an operator token alone
 * never puts an unsigned binary in front of a gateway; the gateway checks the signature again
 * with its own key), keeps the tarball under releases.dir, records rollouts with who asked, and is
 * the fleet part `update`: it answers a gateway that should move to another version with the
 * signed manifest and a short-lived tarball URL, and keeps the gateway's update report.
 */
import type { KeyObject } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { sha256File } from '../../platform/sha256-file.ts';
import type { Clock } from '../../protocols/clock.ts';
import { checkContent, desiredVersion, type RolloutTarget, type UpdateAnswer, updateReportSchema, verifyManifest } from '../../protocols/release/index.ts';
import type { SqlReleasesStore, StoredRelease, StoredRollout } from '../store/releases-store.ts';
import { RELEASES_UNKNOWN_VERSION, RELEASES_VERSION_EXISTS, ReleasesError } from './errors.ts';
import { signedTarballPath } from './url.ts';

export interface ReleaseServiceOptions {
  readonly store: SqlReleasesStore;
  readonly keys: readonly KeyObject[];
  /** releases.dir */
  readonly dir: string;
  /** Keys the tarball URLs (the relay key); absent in CLI commands that never answer gateways. */
  readonly urlKey?: Uint8Array;
  readonly urlTtlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class ReleaseService {
  readonly name = 'update';
  private readonly logger: Logger;

  constructor(private readonly o: ReleaseServiceOptions) {
    this.logger = o.logger.child({ component: 'releases' });
  }

  /**
   * Verifies and hosts a release. Throws ATALAYA_RELEASE_SIGNATURE_INVALID (no trusted key signed
   * it), …_MANIFEST_INVALID, …_CONTENT_MISMATCH (the tarball is not the one signed),
   * ATALAYA_RELEASES_VERSION_EXISTS (same version, other content). Adding the same release again is a no-op.
   */
  async add(tarball: string, manifestBytes: Uint8Array, signature: string, actor: string): Promise<StoredRelease> {
    const manifest = verifyManifest(manifestBytes, signature, this.o.keys);
    checkContent(manifest, statSync(tarball).size, await sha256File(tarball));
    const existing = await this.o.store.release(manifest.version);
    if (existing !== undefined) {
      if (existing.sha256 === manifest.sha256) return existing;
      throw new ReleasesError(RELEASES_VERSION_EXISTS, `release ${manifest.version} is hosted already with other content`, {
        details: { version: manifest.version },
      });
    }
    const dest = this.tarballPath(manifest.version, manifest.file);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(tarball, `${dest}.tmp`);
    renameSync(`${dest}.tmp`, dest);
    const row: StoredRelease = {
      version: manifest.version,
      file: manifest.file,
      size: manifest.size,
      sha256: manifest.sha256,
      manifest: Buffer.from(manifestBytes).toString('utf8'),
      signature: signature.trim(),
      addedBy: actor,
      addedAt: this.o.clock.now(),
    };
    if (!(await this.o.store.addRelease(row))) {
      rmSync(dest, { force: true });
      return this.add(tarball, manifestBytes, signature, actor);
    }
    this.logger.info({ version: row.version, sha256: row.sha256, size: row.size, actor }, 'release added');
    return row;
  }

  /** Throws ATALAYA_RELEASES_UNKNOWN_VERSION for a version not hosted. */
  async rollout(version: string, target: RolloutTarget, percent: number, actor: string): Promise<number> {
    if ((await this.o.store.release(version)) === undefined)
      throw new ReleasesError(RELEASES_UNKNOWN_VERSION, `no release ${version} here (atalaya relay release add)`, { details: { version } });
    const id = await this.o.store.addRollout(version, target, percent, actor, this.o.clock.now());
    this.logger.info({ id, version, target, percent, actor }, 'rollout');
    return id;
  }

  async overview(): Promise<{
    releases: Array<Omit<StoredRelease, 'manifest' | 'signature'>>;
    rollouts: StoredRollout[];
    gateways: Awaited<ReturnType<SqlReleasesStore['reports']>>;
  }> {
    const releases = (await this.o.store.releases()).map(({ manifest: _m, signature: _s, ...rest }) => rest);
    return { releases, rollouts: await this.o.store.rollouts(), gateways: await this.o.store.reports() };
  }

  tarballPath(version: string, file: string): string {
    return path.join(this.o.dir, version, file);
  }

  /** FleetRelayPart: the gateway's `update` report. A malformed one is logged and ignored. */
  async onReport(gatewayId: string, report: unknown, now: number): Promise<void> {
    const parsed = updateReportSchema.safeParse(report);
    if (!parsed.success) {
      this.logger.warn({ gateway: gatewayId }, 'malformed update report ignored');
      return;
    }
    const before = await this.o.store.reportOf(gatewayId);
    await this.o.store.report(gatewayId, parsed.data, now);
    if (before?.state !== parsed.data.state || before.current !== parsed.data.current)
      this.logger.info({ gateway: gatewayId, ...parsed.data }, 'gateway update state');
  }

  /** FleetRelayPart: what the gateway should download, when it runs another version than the rollouts ask. */
  async answer(gatewayId: string, now: number): Promise<UpdateAnswer | undefined> {
    const version = desiredVersion(gatewayId, await this.o.store.groupsOf(gatewayId), await this.o.store.rollouts());
    if (version === undefined || this.o.urlKey === undefined) return undefined;
    const last = await this.o.store.reportOf(gatewayId);
    if (last?.current === version) return undefined;
    // Refused for good by the gateway (its signature check, or rolled back): not worth the bytes on every poll.
    if (last?.target === version && (last.state === 'rolled_back' || (last.state === 'failed' && last.reason?.startsWith('ATALAYA_RELEASE_') === true)))
      return undefined;
    const release = await this.o.store.release(version);
    if (release === undefined) return undefined;
    return {
      version,
      size: release.size,
      sha256: release.sha256,
      manifest: Buffer.from(release.manifest, 'utf8').toString('base64'),
      signature: release.signature,
      url: signedTarballPath(this.o.urlKey, { version, gateway: gatewayId, expires: now + this.o.urlTtlMs }),
    };
  }
}
