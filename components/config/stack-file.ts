// Reads a stack's config from its `Pulumi.<stack>.yaml` (no engine needed), for the CLI and tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";

export interface StackFileRef {
  /** Stack name: reads `Pulumi.<stack>.yaml` in `projectDir`. */
  readonly stack?: string;
  /** Or an explicit stack file. */
  readonly file?: string;
  readonly projectDir?: string;
}

export function stackFilePath(ref: StackFileRef): string {
  if (ref.file) return path.resolve(ref.file);
  return path.join(ref.projectDir ?? process.cwd(), `Pulumi.${ref.stack ?? "dev"}.yaml`);
}

/** The `config:` map of a stack file (full `ns:key` keys); throws with the file name if unreadable. */
export function readStackConfig(ref: StackFileRef): Record<string, unknown> {
  const file = stackFilePath(ref);
  if (!existsSync(file)) throw new Error(`${file}: no such stack file`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new Error(`${file}: expected a mapping at the top`);
  const config = (doc as { config?: unknown }).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new Error(`${file}: "config" must be a mapping`);
  return config as Record<string, unknown>;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  !!x && typeof x === "object" && !Array.isArray(x);

/**
 * `next` with every encrypted leaf (`{secure: ...}`) of `prev` put back at its place: how a
 * machine-local stack file keeps its secrets while its plain values follow the committed one.
 */
export function keepSecure(
  next: Record<string, unknown>,
  prev: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  for (const [k, v] of Object.entries(prev)) {
    if (!JSON.stringify(v).includes('"secure"')) continue;
    out[k] =
      isObject(v) && "secure" in v
        ? v
        : isObject(v)
          ? keepSecure(isObject(next[k]) ? next[k] : {}, v)
          : v;
  }
  return out;
}

/**
 * Writes `local` (e.g. .warren/project/Pulumi.dev.yaml, git-ignored) from the committed stack
 * file: its plain config, plus the secrets and encryption salt the local file already had. The
 * engine runs on the local copy, so `pulumi config set --secret` never rewrites the committed
 * file (and its comments).
 */
export function syncLocalStackFile(committed: string, local: string): void {
  const plain = readStackConfig({ file: committed });
  const prev = existsSync(local)
    ? ((parse(readFileSync(local, "utf8")) ?? {}) as Record<string, unknown>)
    : {};
  const doc = { ...prev, config: keepSecure(plain, isObject(prev.config) ? prev.config : {}) };
  mkdirSync(path.dirname(local), { recursive: true, mode: 0o700 });
  writeFileSync(local, stringify(doc), { mode: 0o600 });
}

if (require.main === module) {
  // `node bin/components/config/stack-file.js COMMITTED LOCAL`, for scripts/up.sh.
  const [committed, local] = process.argv.slice(2);
  syncLocalStackFile(committed, local);
}
