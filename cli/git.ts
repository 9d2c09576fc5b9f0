// The base side of `warren diff`: a stack file as committed at a git ref (`git show REF:./FILE`,
// run in the project folder), or as a file. With no ref given, the base is the merge base of HEAD
// with origin/main, else with main, else HEAD itself (then the diff shows uncommitted changes).
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { parse } from "yaml";

/** A git or base-file problem the user can act on. */
export class BaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BaseError";
  }
}

function git(dir: string, args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new BaseError(`cannot run git: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

/** The commit a ref names, or undefined if it names none. */
function commitOf(dir: string, ref: string): string | undefined {
  const r = git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.ok ? r.out.trim() : undefined;
}

export interface BaseRef {
  /** What the user asked for, or how the default was found, e.g. `merge base of HEAD and origin/main`. */
  readonly label: string;
  /** The full commit id. */
  readonly commit: string;
}

/** Candidates for the default base, in order; the first that exists is merged with HEAD. */
export const DEFAULT_BASE_BRANCHES = ["origin/main", "main"] as const;

export function resolveBase(dir: string, ref?: string): BaseRef {
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok)
    throw new BaseError(
      `${dir} is not in a git repository (${top.err}); give the base as --base-file PATH`,
    );
  if (ref !== undefined) {
    const commit = commitOf(dir, ref);
    if (!commit) throw new BaseError(`git ref ${JSON.stringify(ref)} names no commit`);
    return { label: ref, commit };
  }
  const head = commitOf(dir, "HEAD");
  if (!head)
    throw new BaseError(
      "HEAD names no commit yet (an empty repository); give --base REF or --base-file PATH",
    );
  for (const branch of DEFAULT_BASE_BRANCHES) {
    if (!commitOf(dir, branch)) continue;
    const mb = git(dir, ["merge-base", "HEAD", branch]);
    if (mb.ok) return { label: `merge base of HEAD and ${branch}`, commit: mb.out.trim() };
  }
  return { label: "HEAD", commit: head };
}

/** A file's text at a commit (path relative to `dir`), or undefined if the commit has no such file. */
export function readAtCommit(dir: string, commit: string, file: string): string | undefined {
  const spec = `${commit}:./${file}`;
  if (!git(dir, ["cat-file", "-e", spec]).ok) return undefined;
  const r = git(dir, ["show", spec]);
  if (!r.ok) throw new BaseError(`git show ${spec}: ${r.err}`);
  return r.out;
}

/** The `config:` map of a stack file's text, with the same checks as readStackConfig. */
export function stackConfigOf(text: string, where: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new BaseError(`${where}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new BaseError(`${where}: expected a mapping at the top`);
  const config = (doc as { config?: unknown }).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new BaseError(`${where}: "config" must be a mapping`);
  return config as Record<string, unknown>;
}

export interface BaseConfig {
  /** For the report, e.g. `main (1a2b3c4)`. */
  readonly label: string;
  /** Where the file was read from, for error messages, e.g. `main:Pulumi.dev.yaml`. */
  readonly source: string;
  /** Undefined: the base has no such stack file (a new stack). */
  readonly config?: Record<string, unknown>;
}

export interface BaseOptions {
  readonly projectDir: string;
  readonly stack: string;
  readonly ref?: string;
  readonly file?: string;
}

export function loadBase(o: BaseOptions): BaseConfig {
  if (o.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.file, "utf8");
    } catch (e) {
      throw new BaseError(
        `${o.file}: cannot read the base file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    return { label: o.file, source: o.file, config: stackConfigOf(text, o.file) };
  }
  const base = resolveBase(o.projectDir, o.ref);
  const file = `Pulumi.${o.stack}.yaml`;
  const source = `${base.label}:${file}`;
  const text = readAtCommit(o.projectDir, base.commit, file);
  return {
    label: `${base.label} (${base.commit.slice(0, 7)})`,
    source,
    config: text === undefined ? undefined : stackConfigOf(text, source),
  };
}
