/**
 * What the fleet part `update` carries over the signed fleet channel (issue 16 §4): the relay's
 * answer when a gateway should move to another version, and the gateway's report of where its
 * update stands. The answer's authenticity comes from the channel (the relay's signature bound to
 * the request nonce); the release's from the manifest's ed25519 signature, which the gateway checks
 * itself: a relay (or a stolen operator token) cannot make a gateway run an unsigned build.
 */
import { z } from 'zod';
import { VERSION } from './manifest.ts';

export const UPDATE_STATES = ['idle', 'downloading', 'verifying', 'switching', 'confirming', 'rolled_back', 'failed'] as const;
export type UpdateState = (typeof UPDATE_STATES)[number];

export const updateAnswerSchema = z.strictObject({
  version: z.string().regex(VERSION),
  size: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The manifest file's bytes, base64: verified byte for byte with `signature`. */
  manifest: z.string().min(1).max(8192),
  /** Detached ed25519 signature, base64. */
  signature: z.string().min(1).max(256),
  /** Where to GET the tarball (Range supported); relative URLs are resolved against the relay's. */
  url: z.string().min(1).max(2048),
});
export type UpdateAnswer = z.output<typeof updateAnswerSchema>;

export const updateReportSchema = z.strictObject({
  current: z.string().regex(VERSION),
  state: z.enum(UPDATE_STATES),
  /** The version being downloaded, tried or last refused. */
  target: z.string().regex(VERSION).optional(),
  /** 0..1 of the download. */
  progress: z.number().min(0).max(1),
  /** A coded reason (ATALAYA_…) when failed or rolled back. */
  reason: z.string().max(200).optional(),
});
export type UpdateReport = z.output<typeof updateReportSchema>;
