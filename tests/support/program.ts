// Runs the warren program (index.ts) under Pulumi mocks with a stack file's config, the way the
// engine would: secrets decrypted into the config bag and listed as secret keys.
import * as path from "path";
import { readStackConfig } from "../../components/config/stack-file";
import { type MockRun, installMocks, settle } from "./mocks";

export const PROJECT_DIR = path.resolve(__dirname, "../../..");

/** Replaces every `{secure: ...}` with a plain test value, as the engine would after decrypting. */
export function decrypted(config: Record<string, unknown>): { config: Record<string, unknown>; secretKeys: string[] } {
  const secretKeys: string[] = [];
  const walk = (v: unknown, key: string): unknown => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      if ("secure" in v) {
        if (!secretKeys.includes(key)) secretKeys.push(key);
        return "test-secret-value";
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, key)]));
    }
    return Array.isArray(v) ? v.map((x) => walk(x, key)) : v;
  };
  return { config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, walk(v, k)])), secretKeys };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProgramExports = Record<string, any>;

/**
 * Installs mocks with the stack file's config (plus `set`, as `pulumi config set --path` would,
 * secret) and loads the program.
 */
export async function runProgram(
  stackFile: string,
  stack = "test",
  set: Record<string, unknown> = {},
): Promise<{ run: MockRun; outputs: ProgramExports }> {
  const { config, secretKeys } = decrypted(readStackConfig({ file: stackFile }));
  for (const [key, value] of Object.entries(set)) {
    const [top, ...rest] = key.split(".");
    let target = config as Record<string, unknown>;
    if (rest.length) target = (config[top] ??= {}) as Record<string, unknown>;
    target[rest.length ? rest.join(".") : top] = value;
    if (!secretKeys.includes(top)) secretKeys.push(top);
  }
  const run = installMocks(config, secretKeys, stack);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(path.join(PROJECT_DIR, "bin", "index.js")) as () => Promise<ProgramExports>;
  const outputs = await program();
  await settle();
  return { run, outputs };
}
