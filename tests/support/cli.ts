// The warren CLI run in-process, as its tests call it: the exit code and every output line.
import { run, runAsync } from "../../cli/warren";

export interface CliResult {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** `warren ARGV` in `cwd` (stack files are found relative to it). */
export function runCli(cwd: string, ...argv: string[]): CliResult {
  const out: string[] = [];
  const err: string[] = [];
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const code = run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } finally {
    process.chdir(prev);
  }
}

/** `warren ARGV` through runAsync (`warren alert` is asynchronous), with `env` as its whole environment. */
export async function runCliAsync(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAsync(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out, err };
}
