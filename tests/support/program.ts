// Runs the warren program (index.ts) under Pulumi mocks with a stack file's config, the way the
// engine would: secrets decrypted into the config bag and listed as secret keys.
import * as path from "path";
import type { RawWarrenConfig } from "../../components/config/schema";
import { readStackConfig } from "../../components/config/stack-file";
import { type MockRun, installMocks, settle } from "./mocks";

export const PROJECT_DIR = path.resolve(__dirname, "../../..");

/** Replaces every `{secure: ...}` with a plain test value, as the engine would after decrypting. */
export function decrypted(config: Record<string, unknown>): {
  config: Record<string, unknown>;
  secretKeys: string[];
} {
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
  return {
    config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, walk(v, k)])),
    secretKeys,
  };
}

/** The program's stack outputs, as index.ts declares them. */
export type ProgramExports = Awaited<ReturnType<Program>>;
type Program = typeof import("../../index");

/** Runs the compiled program (bin/index.js) under whatever mocks are installed. */
export function loadProgram(): Promise<ProgramExports> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when called, after the mocks are installed (a static import would load it first)
  return (require(path.join(PROJECT_DIR, "bin", "index.js")) as Program)();
}

/**
 * A stack file's decrypted config: its `warren:` keys shaped as the config schema reads them
 * (other keys, e.g. a provider's, untyped). Not validated: the program does that.
 */
export type StackConfig = {
  -readonly [K in keyof RawWarrenConfig as `warren:${K}`]?: RawWarrenConfig[K];
} & Record<string, unknown>;

export interface RunProgramOptions {
  /** The stack's name. @default "test" */
  readonly stack?: string;
  /** Values set as `pulumi config set --path --secret` would. */
  readonly set?: Record<string, unknown>;
  /** Changes the decrypted config (in place) before the program sees it. */
  readonly edit?: (config: StackConfig) => void;
}

/** Installs mocks with the stack file's config (changed as `opts` say) and runs the program. */
export async function runProgram(
  stackFile: string,
  opts: RunProgramOptions = {},
): Promise<{ run: MockRun; outputs: ProgramExports }> {
  const { config, secretKeys } = decrypted(readStackConfig({ file: stackFile }));
  opts.edit?.(config);
  for (const [key, value] of Object.entries(opts.set ?? {})) {
    const [top, ...rest] = key.split(".");
    let target = config;
    if (rest.length) target = (config[top] ??= {}) as Record<string, unknown>;
    target[rest.length ? rest.join(".") : top] = value;
    if (!secretKeys.includes(top)) secretKeys.push(top);
  }
  const run = installMocks(config, secretKeys, opts.stack ?? "test");
  const outputs = await loadProgram();
  await settle();
  return { run, outputs };
}
