#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx in a checkout, the compiled JavaScript in a
// release (which ships dist/ and no cli/*.ts).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  // A release's native addons fit one platform and Node ABI (deploy/release/build.mjs writes
  // RELEASE.json); elsewhere they fail to load with errors that do not say why.
  const release = new URL('../RELEASE.json', import.meta.url);
  if (existsSync(fileURLToPath(release))) {
    const { os, cpu, node } = JSON.parse(readFileSync(release, 'utf8'));
    if (os !== process.platform || cpu !== process.arch || String(node.abi) !== process.versions.modules) {
      const here = `${process.platform}-${process.arch} and Node ${process.versions.node} (ABI ${process.versions.modules})`;
      process.stderr.write(`atalaya: this release is built for ${os}-${cpu} and Node ${node.major} (ABI ${node.abi}); this is ${here}\n`);
      process.exit(1);
    }
  }
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
