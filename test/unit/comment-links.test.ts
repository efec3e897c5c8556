/**
 * No comment points outside the repository (issue 12): what the code relies on is written down in
 * docs/, and comments cite it there (`docs/modbus.md#crc`) or by a plain name ("RFC 6962 §2.1").
 * Only comment text is checked: URLs the program uses (default endpoints, XML namespaces, test
 * fixtures) live in string literals and are left alone.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cComments, commentSyntax, commentsOf, hashComments, REPO_ROOT, readSource, sourceFiles } from '../helpers/source-tree.ts';

/** A web address, or a path into the shared folder beside the repository (shared, then a slash). */
const OUTSIDE = /https?:\/\/|(?<![\w-])(?:\.\.\/)*shared\//i;
/**
 * A markdown file named in a comment, from the repository root or beside the file, maybe with a
 * heading: `docs/dga.md#transmission-rules`, `agent/sync/README.md`, `README.md`.
 */
const MD_MENTION = /(?<![\w./-])((?:\.{1,2}\/)*[\w./-]*[\w-]\.md)\b(?:#([\w-]+))?/g;
/** This file's own samples are fixtures. */
const SELF = 'test/unit/comment-links.test.ts';

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
      'const s = "it\'s // not a comment";',
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

  it('that name a markdown file name one in the repository (and a heading that exists)', () => {
    const broken: string[] = [];
    const anchors = new Map<string, Set<string>>();
    for (const rel of sourceFiles((r) => commentSyntax(r) !== null && r !== SELF)) {
      for (const c of commentsOf(rel)) {
        for (const m of c.text.matchAll(MD_MENTION)) {
          const name = m[1] as string;
          const target = [name, path.join(path.dirname(rel), name)].map((p) => path.normalize(p)).find((p) => existsSync(path.join(REPO_ROOT, p)));
          if (target === undefined) {
            broken.push(`${rel}:${c.line}: ${m[0]}`);
            continue;
          }
          if (m[2] === undefined) continue;
          if (!anchors.has(target)) anchors.set(target, anchorsOf(readSource(target)));
          if (!anchors.get(target)?.has(m[2])) broken.push(`${rel}:${c.line}: ${m[0]} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
