// The real Pulumi engine for integration tests: the toolchain (scripts/toolchain.sh) on PATH, a
// throw-away project folder whose Pulumi.yaml runs this checkout's compiled program, a local
// file backend and a passphrase, all removed by `dispose()`.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { keepSecure } from "../../components/config/stack-file";
import { PROJECT_DIR } from "./program";

let toolchainDir: string | undefined;

/** The toolchain's bin folder (scripts/toolchain.sh: built on first use, cached after). */
export function toolchainBin(): string {
  toolchainDir ??= execFileSync("bash", [path.join(PROJECT_DIR, "scripts", "toolchain.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return toolchainDir;
}

/** The toolchain's bin folder plus the SDK's dynamic-provider plugin, then the PATH. */
export function toolchainPath(): string {
  return [
    toolchainBin(),
    path.join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi"),
    process.env.PATH,
  ].join(path.delimiter);
}

/**
 * A local file backend in DIR as warren uses it (scripts/state/backend.sh): `metadata=skip`, so
 * every write of the state is a rename and a killed run cannot leave a torn `.attrs` sidecar.
 */
export const fileBackendUrl = (dir: string) => `file://${dir}?metadata=skip`;

/** What the pulumi CLI needs to run a throw-away project in `dir` (state in `dir/.state`). */
export function engineEnv(dir: string): Record<string, string> {
  return {
    PATH: toolchainPath(),
    PULUMI_BACKEND_URL: fileBackendUrl(path.join(dir, ".state")),
    PULUMI_CONFIG_PASSPHRASE: "warren-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_HOME: path.join(dir, ".pulumi-home"),
  };
}

/**
 * A throw-away JavaScript project in `dir`: Pulumi.yaml, `index.js` holding `program`, the
 * checkout's node_modules (so `@pulumi/*` and bin/ resolve to the same modules), `.state`.
 */
export function jsProject(dir: string, name: string, program: string): void {
  fs.mkdirSync(path.join(dir, ".state"), { recursive: true });
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    stringify({
      name,
      runtime: { name: "nodejs", options: { typescript: false } },
      main: "index.js",
    }),
  );
  fs.writeFileSync(path.join(dir, "index.js"), program);
}

export interface TestProject {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** A new stack with the given `warren:*` config (structured values), secrets set as secrets. */
  stack(
    name: string,
    config: Record<string, unknown>,
    secrets?: Record<string, string>,
  ): Promise<Stack>;
  /** Rewrites a stack's plain config (secrets set before are kept). */
  setConfig(stack: Stack, config: Record<string, unknown>): void;
  /** Runs the pulumi CLI in the project folder with the test environment. */
  cli(args: string[]): { code: number; stdout: string; stderr: string };
  dispose(): void;
}

export async function testProject(): Promise<TestProject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-engine-"));
  const state = path.join(dir, ".state");
  fs.mkdirSync(state);
  // The program is this checkout's compiled bin/; start-up only transpiled (typescript: false).
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    stringify({
      name: "warren",
      runtime: { name: "nodejs", options: { typescript: false } },
      main: path.join(PROJECT_DIR, "bin"),
    }),
  );
  const env: Record<string, string> = {
    ...engineEnv(dir),
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  // The CLI from the toolchain (PulumiCommand looks for <root>/bin/pulumi), plugins via PATH.
  const pulumiCommand = await PulumiCommand.get({
    root: path.dirname(toolchainBin()),
    skipVersionCheck: true,
  });
  const ws = await LocalWorkspace.create({ workDir: dir, envVars: env, pulumiCommand });

  const stackFile = (name: string) => path.join(dir, `Pulumi.${name}.yaml`);
  const writePlain = (name: string, config: Record<string, unknown>) => {
    // Keep what the engine wrote (salt, encrypted secrets); replace the plain values.
    const current = fs.existsSync(stackFile(name))
      ? ((parse(fs.readFileSync(stackFile(name), "utf8")) ?? {}) as {
          config?: Record<string, unknown>;
        })
      : {};
    fs.writeFileSync(
      stackFile(name),
      stringify({ ...current, config: keepSecure(config, current.config ?? {}) }),
    );
  };

  return {
    dir,
    env,
    async stack(name, config, secrets = {}) {
      const stack = await Stack.create(name, ws);
      writePlain(name, config);
      for (const [key, value] of Object.entries(secrets))
        await stack.setConfig(key, { value, secret: true }, true);
      return stack;
    },
    setConfig(stack, config) {
      writePlain(stack.name, config);
    },
    cli(args) {
      try {
        const stdout = execFileSync("pulumi", args, {
          cwd: dir,
          env: { ...process.env, ...env },
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
        return { code: 0, stdout, stderr: "" };
      } catch (e) {
        const x = e as { status: number; stdout: string; stderr: string };
        return { code: x.status, stdout: x.stdout, stderr: x.stderr };
      }
    },
    dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
