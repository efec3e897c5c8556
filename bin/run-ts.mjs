#!/usr/bin/env node
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// Runs one TypeScript script (benchmarks, fixtures) through tsx: `node bin/run-ts.mjs file.ts args…`.
import { register } from 'tsx/esm/api';

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: run-ts.mjs <file.ts> [args…]\n');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...rest];
register();
await import(pathToFileURL(path.resolve(file)).href);
