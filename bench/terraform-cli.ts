// Terraform for `npm run bench:engine`: the build of scripts/terraform/build.sh (Terraform 1.5.7 and
// the rabbitmq provider 1.8.0, built on first use, cached after) and a throw-away working folder
// holding one main.tf.json, in which init, apply, plan and destroy run with a clean environment:
// the provider from the local mirror only (offline), no checkpoint calls, no input prompts.
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../tests/support/program";
import { type TerraformJson, VARIABLES } from "./terraform";

export interface TerraformTool {
  /** The terraform binary built by scripts/terraform/build.sh (never the one on PATH). */
  readonly terraform: string;
  /** Its CLI config (TF_CLI_CONFIG_FILE): the provider from the filesystem mirror only. */
  readonly cliConfig: string;
}

/** Builds Terraform and the provider when they are not there (progress on stderr). */
export function terraformTool(): TerraformTool {
  const dir = execFileSync("bash", [path.join(PROJECT_DIR, "scripts", "terraform", "build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return {
    terraform: path.join(dir, "bin", "terraform"),
    cliConfig: path.join(dir, "terraform.rc"),
  };
}

export interface BrokerLogin {
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
}

export interface TerraformDir {
  readonly dir: string;
  /** `terraform init` (offline: the provider comes from the mirror). */
  init(): Promise<void>;
  apply(): Promise<void>;
  /** A plan (with its refresh, as Terraform does by default); true when it has changes. */
  plan(): Promise<{ changes: boolean; output: string }>;
  destroy(): Promise<void>;
  dispose(): void;
}

interface Run {
  readonly code: number;
  readonly output: string;
}

export function terraformDir(
  tool: TerraformTool,
  json: TerraformJson,
  login: BrokerLogin,
): TerraformDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-terraform-"));
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(json, null, 1));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    TF_CLI_CONFIG_FILE: tool.cliConfig,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    [`TF_VAR_${VARIABLES.endpoint}`]: login.endpoint,
    [`TF_VAR_${VARIABLES.username}`]: login.username,
    [`TF_VAR_${VARIABLES.password}`]: login.password,
  };
  const run = (args: string[]) =>
    new Promise<Run>((resolve, reject) => {
      const child = spawn(tool.terraform, args, {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => chunks.push(c));
      child.stderr.on("data", (c: Buffer) => chunks.push(c));
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }),
      );
    });
  const must = async (args: string[]) => {
    const r = await run(args);
    if (r.code !== 0) {
      const tail = r.output.trim().split("\n").slice(-30).join("\n");
      throw new Error(`terraform ${args[0]} failed (exit ${r.code}) in ${dir}:\n${tail}`);
    }
  };
  const common = ["-input=false", "-no-color"];
  return {
    dir,
    init: () => must(["init", ...common]),
    apply: () => must(["apply", ...common, "-auto-approve"]),
    async plan() {
      const r = await run(["plan", ...common, "-detailed-exitcode"]);
      if (r.code !== 0 && r.code !== 2) {
        const tail = r.output.trim().split("\n").slice(-30).join("\n");
        throw new Error(`terraform plan failed (exit ${r.code}) in ${dir}:\n${tail}`);
      }
      return { changes: r.code === 2, output: r.output };
    },
    destroy: () => must(["destroy", ...common, "-auto-approve"]),
    dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
