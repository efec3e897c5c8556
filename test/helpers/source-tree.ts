/**
 * The repository's own source files, and the comments in them, for tests that check house rules
 * over the whole tree (test/unit/error-codes.test.ts, test/unit/comment-links.test.ts).
 *
 * The comment scanner is a small lexer, not a regular expression over lines: it knows strings,
 * template literals (with nested `${…}`), regular expression literals and both comment forms, so
 * that a URL the program uses (a default endpoint, an XML namespace, a test fixture) is never taken
 * for a comment, and a comment is never hidden inside what looks like a string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Top-level folders that hold code of ours (platform/ and docs/ once they exist). */
const SOURCE_DIRS = ['agent', 'cloud', 'protocols', 'simulators', 'cli', 'platform', 'test', 'bin', 'deploy', '.ci'];
/** Never ours, or generated at run time. */
const SKIP_DIRS = new Set(['node_modules', 'data', 'test-artifacts', 'dist', '.git']);

export type CommentSyntax = 'c' | 'hash';

/** Which comment syntax a file uses, or null when it is not a file we scan. */
export function commentSyntax(file: string): CommentSyntax | null {
  const base = path.basename(file);
  if (/\.(ts|mts|cts|js|mjs|cjs|sol|css)$/.test(base)) return 'c';
  if (/\.(sh|ya?ml|py|service|rules|sysusers)$/.test(base) || base === 'Dockerfile' || base === 'Caddyfile' || base === 'run' || base === '.env.example') {
    return 'hash';
  }
  return null;
}

/** Every file under the source folders, relative to the repository root, with forward slashes. */
export function sourceFiles(filter: (rel: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(rel);
      } else if (entry.isFile() && filter(rel)) {
        out.push(rel);
      }
    }
  };
  for (const dir of SOURCE_DIRS) {
    try {
      walk(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out.sort();
}

export function readSource(rel: string): string {
  return readFileSync(path.join(REPO_ROOT, rel), 'utf8');
}

export interface Comment {
  /** 1-based line of the comment's first character. */
  readonly line: number;
  readonly text: string;
}

/** Words after which a `/` starts a regular expression literal rather than a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);
/** Punctuators after which a `/` starts a regular expression literal. */
const REGEX_AFTER_PUNCT = new Set([...'(,=:[!&|?{};+-*%<>~^']);

/**
 * The `//` and `/* … *\/` comments of a C-like source (TypeScript, JavaScript, Solidity, CSS).
 * Throws on an unterminated string, template, regular expression or block comment, so a lexing
 * mistake shows up as a failure rather than as comments silently missed.
 */
export function cComments(src: string): Comment[] {
  const comments: Comment[] = [];
  /** One entry per open template substitution: the depth of `{` inside it. */
  const templates: number[] = [];
  let i = 0;
  let line = 1;
  /** The last significant token: a punctuator, a word, or 'value' after a literal. */
  let prev = '';
  const fail = (what: string): never => {
    throw new Error(`unterminated ${what} at line ${line}`);
  };
  const advance = (to: number): void => {
    for (let k = i; k < to; k++) if (src.charCodeAt(k) === 10) line++;
    i = to;
  };
  /** Scans template text from i (just after ` or }) to the closing ` or the next ${. */
  const templateText = (): void => {
    let k = i;
    for (;;) {
      if (k >= src.length) fail('template literal');
      const c = src[k];
      if (c === '\\') k += 2;
      else if (c === '`') {
        advance(k + 1);
        prev = 'value';
        return;
      } else if (c === '$' && src[k + 1] === '{') {
        advance(k + 2);
        templates.push(0);
        prev = '{';
        return;
      } else k++;
    }
  };
  while (i < src.length) {
    const c = src[i] as string;
    const next = src[i + 1];
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      advance(i + 1);
    } else if (c === '/' && next === '/') {
      let end = src.indexOf('\n', i);
      if (end < 0) end = src.length;
      comments.push({ line, text: src.slice(i + 2, end) });
      advance(end);
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('block comment');
      comments.push({ line, text: src.slice(i + 2, end) });
      advance(end + 2);
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (src[k] !== c) {
        if (k >= src.length || src[k] === '\n') fail('string');
        k += src[k] === '\\' ? 2 : 1;
      }
      advance(k + 1);
      prev = 'value';
    } else if (c === '`') {
      advance(i + 1);
      templateText();
    } else if (c === '{') {
      if (templates.length > 0) templates[templates.length - 1]!++;
      advance(i + 1);
      prev = '{';
    } else if (c === '}') {
      advance(i + 1);
      if (templates.length > 0 && templates[templates.length - 1] === 0) {
        templates.pop();
        templateText();
      } else {
        if (templates.length > 0) templates[templates.length - 1]!--;
        prev = '}';
      }
    } else if (c === '/' && (prev === '' || REGEX_AFTER_PUNCT.has(prev) || REGEX_AFTER_WORD.has(prev))) {
      let k = i + 1;
      let inClass = false;
      while (inClass || src[k] !== '/') {
        if (k >= src.length || src[k] === '\n') fail('regular expression');
        if (src[k] === '\\') k++;
        else if (src[k] === '[') inClass = true;
        else if (src[k] === ']') inClass = false;
        k++;
      }
      k++;
      while (k < src.length && /[a-z]/.test(src[k] as string)) k++;
      advance(k);
      prev = 'value';
    } else if (/[A-Za-z0-9_$#@]/.test(c)) {
      let k = i + 1;
      while (k < src.length && /[A-Za-z0-9_$]/.test(src[k] as string)) k++;
      const word = src.slice(i, k);
      advance(k);
      prev = REGEX_AFTER_WORD.has(word) ? word : 'value';
    } else if (c === '!' && prev === 'value' && next !== '=') {
      advance(i + 1); // TypeScript's non-null assertion: `x! / 10` divides
    } else {
      advance(i + 1);
      prev = c === ')' || c === ']' ? 'value' : c;
    }
  }
  if (templates.length > 0) fail('template substitution');
  return comments;
}

/**
 * The `#` comments of a shell script, YAML, Python, systemd or Caddy file: from a `#` at the start
 * of a line or after white space, outside single- and double-quoted strings of that line, to the
 * end of the line. A first line `#!` is the interpreter, not a comment.
 */
export function hashComments(src: string): Comment[] {
  const comments: Comment[] = [];
  src.split('\n').forEach((text, index) => {
    if (index === 0 && text.startsWith('#!')) return;
    let quote: string | null = null;
    for (let k = 0; k < text.length; k++) {
      const c = text[k];
      if (quote !== null) {
        if (c === '\\' && quote === '"') k++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '#' && (k === 0 || /\s/.test(text[k - 1] as string))) {
        comments.push({ line: index + 1, text: text.slice(k + 1) });
        return;
      }
    }
  });
  return comments;
}

export function commentsOf(rel: string, src: string = readSource(rel)): Comment[] {
  const syntax = commentSyntax(rel);
  if (syntax === null) return [];
  return syntax === 'c' ? cComments(src) : hashComments(src);
}
