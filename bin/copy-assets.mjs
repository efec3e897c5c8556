#!/usr/bin/env node
// `npm run build` step after tsc: the non-TypeScript files the code loads at run time (the DGA
// WSDL and its XSDs) go beside the compiled JavaScript in dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ASSETS = /\.(wsdl|xsd)$/;
const roots = ['agent', 'cloud', 'protocols', 'simulators'];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file);
    else if (ASSETS.test(name)) cpSync(file, path.join('dist', file));
  }
}
for (const root of roots) walk(root);
