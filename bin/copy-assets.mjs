#!/usr/bin/env node
// `npm run build` step after tsc: the non-TypeScript files the code loads at run time go beside
// the compiled JavaScript: the DGA WSDL and its XSDs, and the browser pages (agent/status/ui,
// cloud/dashboard/ui, and platform/ui which both serve: plain files, no build step). `node bin/copy-assets.mjs [OUT_DIR]`, default
// dist (deploy/release/build.mjs compiles into its staging directory).
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ASSETS = /\.(wsdl|xsd)$/;
/** Every file of a directory named ui/ is served to browsers. */
const UI_DIR = 'ui';
const roots = ['agent', 'cloud', 'platform', 'protocols', 'simulators'];
const outDir = process.argv[2] ?? 'dist';

function walk(dir, inUi) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file, inUi || name === UI_DIR);
    else if (inUi || ASSETS.test(name)) cpSync(file, path.join(outDir, file));
  }
}
for (const root of roots) walk(root, false);
