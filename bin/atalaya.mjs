#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx in a checkout, the compiled JavaScript in a
// release (which ships dist/ and no cli/*.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
