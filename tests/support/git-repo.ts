// A real git repository in a temp folder, for tests of what reads git history (`warren diff`):
// commits, branches and remotes made with the git CLI, removed by `remove()`.
import { execFileSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/** Git with no user or system config, so a developer's settings (signing, hooks) cannot interfere. */
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "warren test",
  GIT_AUTHOR_EMAIL: "test@warren.invalid",
  GIT_COMMITTER_NAME: "warren test",
  GIT_COMMITTER_EMAIL: "test@warren.invalid",
};

export class TempRepo {
  readonly dir: string;

  constructor(prefix = "warren-git-", init = true) {
    this.dir = mkdtempSync(path.join(tmpdir(), prefix));
    if (init) this.git("init", "--quiet", "--initial-branch=main");
  }

  /** Runs git in the repository; throws with git's message when it fails. */
  git(...args: string[]): string {
    return execFileSync("git", args, {
      cwd: this.dir,
      env: GIT_ENV,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  write(file: string, text: string): this {
    const p = path.join(this.dir, file);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return this;
  }

  /** Commits everything; returns the new commit's id. */
  commit(message: string): string {
    this.git("add", "--all");
    this.git("commit", "--quiet", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  /** The first 7 characters of a commit id, as `warren diff` prints it. */
  short(ref = "HEAD"): string {
    return this.git("rev-parse", ref).slice(0, 7);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn` on a new repository (with `init` false, a plain folder), removed afterwards whatever `fn` does. */
export function withTempRepo(prefix: string, fn: (r: TempRepo) => void, init = true): void {
  const r = new TempRepo(prefix, init);
  try {
    fn(r);
  } finally {
    r.remove();
  }
}

/** Environment for child processes (scripts) that run git: the same isolation as TempRepo. */
export const gitTestEnv: NodeJS.ProcessEnv = GIT_ENV;
