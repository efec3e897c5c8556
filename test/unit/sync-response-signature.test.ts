import { describe, expect, it } from 'vitest';
import { signResponse, verifyResponse } from '../../protocols/sync/response-signature.ts';
import { newGatewaySecret, secretBytes, signRequest } from '../../protocols/sync/signature.ts';

const secret = secretBytes(newGatewaySecret());
const answer = { path: '/v1/fleet/poll', requestNonce: 'n-1', timestamp: 1_700_000_000_000, status: 200, body: Buffer.from('{"commands":[]}'), secret };

describe('the relay signature on an answer to a gateway', () => {
  const signature = signResponse(answer);

  it('verifies the answer it signed', () => {
    expect(verifyResponse({ ...answer, signature })).toBe(true);
  });

  it('refuses the same answer to another request (a replay), path, status, time, body or key', () => {
    expect(verifyResponse({ ...answer, requestNonce: 'n-2', signature })).toBe(false);
    expect(verifyResponse({ ...answer, path: '/v1/fleet/other', signature })).toBe(false);
    expect(verifyResponse({ ...answer, status: 409, signature })).toBe(false);
    expect(verifyResponse({ ...answer, timestamp: answer.timestamp + 1, signature })).toBe(false);
    expect(verifyResponse({ ...answer, body: Buffer.from('{"commands":[1]}'), signature })).toBe(false);
    expect(verifyResponse({ ...answer, secret: secretBytes(newGatewaySecret()), signature })).toBe(false);
  });

  it('never verifies a request signature as an answer', () => {
    const request = signRequest({ method: 'RESPONSE', path: answer.path, timestamp: answer.timestamp, nonce: answer.requestNonce, body: answer.body, secret });
    expect(verifyResponse({ ...answer, signature: request })).toBe(false);
  });

  it('answers false, never throws, for malformed input', () => {
    expect(verifyResponse({ ...answer, signature: 'zz' })).toBe(false);
    expect(verifyResponse({ ...answer, requestNonce: 'a\nb', signature })).toBe(false);
    expect(() => signResponse({ ...answer, status: 42 })).toThrow(expect.objectContaining({ code: 'ATALAYA_SYNC_INVALID_ARGUMENT' }));
  });
});
