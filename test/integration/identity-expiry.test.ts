/**
 * Sessions end (issue 15 §3): `identity.idleTimeoutS` after their last use and `sessionTtlS` after
 * sign-in, whatever the use; the ended session's row is deleted. The service on a real SQLite
 * database with an injected clock (no waiting).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auditor, cliPrincipal } from '../../cloud/identity/audit.ts';
import { IDENTITY_UNAUTHENTICATED } from '../../cloud/identity/errors.ts';
import { IdentityService } from '../../cloud/identity/service.ts';
import { UserAdmin } from '../../cloud/identity/users.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import { testLogger } from '../helpers/logger.ts';

const MIN = 60_000;
let t = Date.UTC(2026, 0, 5, 12, 0, 0);
const clock = { now: () => t, monotonic: () => t };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-identity-expiry-'));
let db: RelayDatabase;
let identity: IdentityService;

beforeAll(async () => {
  db = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db') }, testLogger());
  await db.start();
  const auditor = new Auditor(db.identity, clock);
  const options = { sessionTtlMs: 120 * MIN, idleTimeoutMs: 30 * MIN, maxFailures: 5, lockoutMs: 15 * MIN, ipAttempts: 100, ipWindowMs: MIN };
  identity = new IdentityService({ store: db.identity, auditor, operatorTokens: new Map(), options, clock, logger: testLogger() });
  await new UserAdmin(db.identity, auditor, clock).add(cliPrincipal('test'), { name: 'ana', role: 'viewer', orgId: 'default', password: 'a long password' });
});
afterAll(async () => {
  await db?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('session lifetime', () => {
  it('ends a session left idle for the idle timeout', async () => {
    const { sessionId } = await identity.login('ana', 'a long password', '127.0.0.1');
    t += 29 * MIN;
    expect((await identity.session(sessionId)).name).toBe('ana');
    // Used at 29 min: idle again from there.
    t += 29 * MIN;
    expect((await identity.session(sessionId)).name).toBe('ana');
    t += 30 * MIN;
    await expect(identity.session(sessionId)).rejects.toMatchObject({ code: IDENTITY_UNAUTHENTICATED });
    t -= 30 * MIN;
    // Deleted when found ended: going back in time does not revive it.
    await expect(identity.session(sessionId)).rejects.toMatchObject({ code: IDENTITY_UNAUTHENTICATED });
  });

  it('ends a session at its absolute lifetime even while in use', async () => {
    const { sessionId } = await identity.login('ana', 'a long password', '127.0.0.1');
    for (let i = 0; i < 5; i++) {
      t += 20 * MIN;
      expect((await identity.session(sessionId)).name).toBe('ana');
    }
    t += 20 * MIN;
    await expect(identity.session(sessionId)).rejects.toMatchObject({ code: IDENTITY_UNAUTHENTICATED });
  });
});
