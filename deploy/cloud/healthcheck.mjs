#!/usr/bin/env node
// Container health check of the relay (deploy/cloud/Dockerfile HEALTHCHECK, compose.yaml):
// GET /healthz on its own listener, which answers 200 while the relay and its database answer
// (cloud/http/read-routes.ts). Exit 0 healthy, 1 not (Docker's convention). The image has no
// curl; Node 20's fetch does it. ATALAYA_HEALTHCHECK_URL: another address (listen.tls, a port
// other than 8080).
const url = process.env.ATALAYA_HEALTHCHECK_URL ?? 'http://127.0.0.1:8080/healthz';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  await res.body?.cancel();
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
