// Reads a stack's config from its `Pulumi.<stack>.yaml` (no engine needed), for the CLI and tests.
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";

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
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${file}: expected a mapping at the top`);
  const config = (doc as { config?: unknown }).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error(`${file}: "config" must be a mapping`);
  return config as Record<string, unknown>;
}
