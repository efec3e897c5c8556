/**
 * Just enough of the Dockerfile syntax (docs/formats.md#dockerfile) to check
 * deploy/cloud/Dockerfile without Docker: stages, instructions with their continuation lines
 * joined, COPY sources and destinations, and exec-form (JSON array) commands.
 */
import path from 'node:path';

export interface Instruction {
  /** Upper case: FROM, COPY, RUN, ... */
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** `FROM image AS name`: the name, else the stage's index. */
  readonly name: string;
  readonly from: string;
  readonly instructions: Instruction[];
}

export interface Copy {
  /** `--from=stage`, undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

/** Instructions by stage; lines before the first FROM (ARG, parser directives) are dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  const flush = (): void => {
    const line = pending.trim();
    pending = '';
    if (line === '') return;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (m === null) throw new Error(`Dockerfile: cannot read instruction '${line}'`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      stages.push({ name: from[2] ?? String(stages.length), from: from[1]!, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  };
  for (const raw of text.split('\n')) {
    // Comment lines are dropped, also between continuation lines.
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      pending += `${raw.replace(/\\\s*$/, '')} `;
      continue;
    }
    pending += raw;
    flush();
  }
  flush();
  return stages;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The JSON array of an exec-form ENTRYPOINT/CMD (after HEALTHCHECK options: `CMD [...]`). */
export function execForm(args: string): string[] {
  const json = args.replace(/^(?:--\S+\s+)*(?:CMD\s+)?/, '');
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed as string[];
}

export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  if (paths.length < 2) throw new Error(`COPY ${args}: needs a source and a destination`);
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

export interface Placed {
  /** Absolute path in the image. */
  readonly path: string;
  readonly from: string | undefined;
  /** Path in the source stage (absolute) or the build context (relative). */
  readonly source: string;
}

/** What each COPY of a stage puts where, destinations resolved against the WORKDIR of the time. */
export function placedFiles(stage: Stage): Placed[] {
  const out: Placed[] = [];
  let workdir = '/';
  for (const i of stage.instructions) {
    if (i.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, i.args);
    if (i.keyword !== 'COPY') continue;
    const copy = parseCopy(i.args);
    const dest = path.posix.resolve(workdir, copy.dest);
    for (const source of copy.sources) {
      // `COPY a/ b/` and `COPY a b` alike put a's contents at b (one source: no basename appended).
      out.push({
        path: copy.sources.length === 1 || !copy.dest.endsWith('/') ? dest : path.posix.join(dest, path.posix.basename(source)),
        from: copy.from,
        source: source.replace(/\/$/, ''),
      });
    }
  }
  return out;
}

/** Where an absolute path of the image comes from: the COPY that placed it or a directory above it. */
export function origin(placed: readonly Placed[], file: string): { from: string | undefined; source: string } | undefined {
  for (const p of [...placed].reverse()) {
    if (file === p.path) return { from: p.from, source: p.source };
    if (file.startsWith(`${p.path}/`)) return { from: p.from, source: path.posix.join(p.source, file.slice(p.path.length + 1)) };
  }
  return undefined;
}
