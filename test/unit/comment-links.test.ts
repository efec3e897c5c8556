/**
 * No comment points outside the repository (issue 12): what the code relies on is written down in
 * docs/, and comments cite it there (`docs/modbus.md#crc`) or by a plain name ("RFC 6962 §2.1").
 * Only comment text is checked: URLs the program uses (default endpoints, XML namespaces, test
 * fixtures) live in string literals and are left alone.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, cComments, commentSyntax, commentsOf, hashComments, readSource, sourceFiles } from '../helpers/source-tree.ts';

/** A web address, or a path into the shared folder beside the repository (shared, then a slash). */
const OUTSIDE = /https?:\/\/|(?<![\w-])(?:\.\.\/)*shared\//i;
/** A pointer into docs/: `docs/dga.md` or `docs/dga.md#transmission-rules`. */
const DOCS_POINTER = /docs\/([\w-]+\.md)(?:#([\w-]+))?/g;

function outsidePointers(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const rel of files) {
    for (const c of commentsOf(rel)) {
      c.text.split('\n').forEach((text, k) => {
        if (OUTSIDE.test(text)) found.push(`${rel}:${c.line + k}: ${text.trim()}`);
      });
    }
  }
  return found;
}

/** GitHub-style heading anchors of a markdown file. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    const slug = (m[1] as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    anchors.add(slug);
  }
  return anchors;
}

describe('comments', () => {
  it('finds comments, and only comments, in TypeScript', () => {
    const src = [
      "const a = 'https://in.a/string'; // https://in.a/line-comment",
      'const b = `x ${`https://nested.template/${1 / 2}`} https://template.text`;',
      'const r = /https?:\\/\\/[a-z]+/; const q = n! / 2; /* shared/reference/x.md */',
      "const s = \"it's // not a comment\";",
    ].join('\n');
    expect(cComments(src).map((c) => [c.line, c.text.trim()])).toEqual([
      [1, 'https://in.a/line-comment'],
      [3, 'shared/reference/x.md'],
    ]);
  });

  it('finds # comments outside quotes in shell and YAML', () => {
    const src = ['#!/bin/sh', 'url: "http://x#y" # see http://a.b', "echo 'a # b'", '  # http://c.d', 'x=1#no'].join('\n');
    expect(hashComments(src).map((c) => [c.line, c.text.trim()])).toEqual([
      [2, 'see http://a.b'],
      [4, 'http://c.d'],
    ]);
  });

  it('lexes every source file of the tree to its end', () => {
    const files = sourceFiles((rel) => commentSyntax(rel) !== null);
    expect(files.length).toBeGreaterThan(300);
    for (const rel of files) expect(() => commentsOf(rel), rel).not.toThrow();
  });

  it('never point outside the repository (no URL, no shared/ path)', () => {
    const files = sourceFiles((rel) => commentSyntax(rel) !== null);
    expect(outsidePointers(files)).toEqual([]);
  });

  it('that point into docs/ name a file and heading that exist', () => {
    const broken: string[] = [];
    const anchors = new Map<string, Set<string> | null>();
    for (const rel of sourceFiles((r) => commentSyntax(r) !== null && r !== 'test/unit/comment-links.test.ts')) {
      for (const c of commentsOf(rel)) {
        for (const m of c.text.matchAll(DOCS_POINTER)) {
          const file = m[1] as string;
          if (!anchors.has(file)) {
            const full = path.join(REPO_ROOT, 'docs', file);
            anchors.set(file, existsSync(full) ? anchorsOf(readSource(`docs/${file}`)) : null);
          }
          const known = anchors.get(file);
          if (known === null || (m[2] !== undefined && !known?.has(m[2]))) broken.push(`${rel}:${c.line}: ${m[0]}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
