/**
 * House rule (issue 12): every coded error's code is defined in the `errors.ts` of its
 * area, once. Elsewhere a code is only imported and used. Constants named `…_ENV` (or `ENV`) hold
 * names of environment variables (`ATALAYA_RELAY_KEY`), not error codes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from '../helpers/source-tree.ts';

const CODE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** `const NAME = 'ATALAYA_…'` (exported or not, typed or not), or a class field `NAME = 'ATALAYA_…'`. */
const CONSTANT =
  /(?:\b(?:const|let|var)\s+|^\s*(?:(?:public|private|protected|static|readonly)\s+)*)([A-Za-z_$][\w$]*)\s*(?::[^=;\n]+)?=\s*(['"`])(ATALAYA_[A-Z0-9_]*)\2/gm;
/** A code written inline where an error is made: `new FooError('ATALAYA_…'`, `code: 'ATALAYA_…'`. */
const INLINE = /(?:\bnew\s+\w*Error\s*\(\s*|\bcode\s*:\s*)(['"`])(ATALAYA_[A-Z0-9_]*)\1/g;

interface Definition {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly code: string;
}

const isEnvName = (name: string): boolean => name === 'ENV' || name.endsWith('_ENV');
const lineOf = (src: string, index: number): number => src.slice(0, index).split('\n').length;
const isTest = (rel: string): boolean => rel.startsWith('test/') || /\.test\.ts$/.test(rel);

function definitionsIn(file: string, src: string): Definition[] {
  const out: Definition[] = [];
  for (const m of src.matchAll(CONSTANT)) {
    const name = m[1] as string;
    if (!isEnvName(name)) out.push({ file, line: lineOf(src, m.index), name, code: m[3] as string });
  }
  if (!isTest(file)) {
    for (const m of src.matchAll(INLINE)) out.push({ file, line: lineOf(src, m.index), name: '(inline)', code: m[2] as string });
  }
  return out;
}

/** This file's own samples are fixtures, not definitions. */
const SELF = 'test/unit/error-codes.test.ts';
const all = sourceFiles((rel) => CODE_FILE.test(rel) && rel !== SELF).flatMap((rel) => definitionsIn(rel, readSource(rel)));
const inErrorsFiles = all.filter((d) => path.basename(d.file) === 'errors.ts');

describe('error codes', () => {
  it('are recognised however they are written', () => {
    const src = [
      "export const A = 'ATALAYA_A';",
      "const B: string = 'ATALAYA_B';",
      '  static readonly C = "ATALAYA_C";',
      "throw new AtalayaError('ATALAYA_D', 'x');",
      "const RELAY_KEY_ENV = 'ATALAYA_RELAY_KEY';",
      "if (code === 'ATALAYA_E') return;",
    ].join('\n');
    expect(definitionsIn('agent/x.ts', src).map((d) => d.code)).toEqual(['ATALAYA_A', 'ATALAYA_B', 'ATALAYA_C', 'ATALAYA_D']);
    expect(definitionsIn('test/unit/x.test.ts', "expect(err).toMatchObject({ code: 'ATALAYA_D' });")).toEqual([]);
  });

  it('are found in the errors.ts files', () => {
    expect(inErrorsFiles.length).toBeGreaterThan(80);
  });

  it('are defined in an errors.ts and nowhere else', () => {
    const elsewhere = all.filter((d) => path.basename(d.file) !== 'errors.ts').map((d) => `${d.file}:${d.line}: ${d.name} = '${d.code}'`);
    expect(elsewhere).toEqual([]);
  });

  it('are each defined once, by one area', () => {
    const byCode = new Map<string, Definition[]>();
    for (const d of inErrorsFiles) byCode.set(d.code, [...(byCode.get(d.code) ?? []), d]);
    const twice = [...byCode].filter(([, defs]) => defs.length > 1).map(([code, defs]) => `${code}: ${defs.map((d) => `${d.file} ${d.name}`).join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('are ATALAYA_ and upper-case words', () => {
    const odd = inErrorsFiles.filter((d) => !/^ATALAYA_[A-Z0-9]+(?:_[A-Z0-9]+)*$/.test(d.code)).map((d) => `${d.file}:${d.line}: ${d.code}`);
    expect(odd).toEqual([]);
  });
});
