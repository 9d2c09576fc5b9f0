// The engine runs on the official Pulumi parts only: every binary the tests put on PATH is the CLI
// from its Go module or a plugin built from the official repository's source archive (sha256 as
// ../shared/upstream/MANIFEST.md gives it), at the version package.json pins for its SDK, and
// serves the same schema as that SDK.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { toolchainBin, toolchainPath } from "../support/engine";
import { PROJECT_DIR } from "../support/program";

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, PATH: toolchainPath(), PULUMI_SKIP_UPDATE_CHECK: "true" },
    maxBuffer: 256 * 1024 * 1024, // the kubernetes schema is tens of MB
    stdio: ["ignore", "pipe", "pipe"],
  });
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** The .stamp scripts/toolchain.sh wrote next to a build it made (undefined when the binary came from elsewhere). */
function stampFile(name: string): string | undefined {
  const file = `${fs.realpathSync(path.join(toolchainBin(), name))}.stamp`;
  return fs.existsSync(file) ? file : undefined;
}

/** What scripts/toolchain.sh recorded about a build it made (empty when the binary came from elsewhere). */
function stamp(name: string): Record<string, string[]> {
  const file = stampFile(name);
  if (!file) return {};
  const out: Record<string, string[]> = {};
  for (const line of fs.readFileSync(file, "utf8").trim().split("\n")) {
    const i = line.indexOf("=");
    (out[line.slice(0, i)] ??= []).push(line.slice(i + 1));
  }
  return out;
}

describe("the toolchain: official Pulumi parts only", () => {
  it("holds exactly the CLI, the Node.js language host and the rabbitmq, docker, kubernetes and tls providers", () => {
    assert.deepEqual(fs.readdirSync(toolchainBin()).sort(), [
      "pulumi",
      "pulumi-language-nodejs",
      "pulumi-resource-docker",
      "pulumi-resource-kubernetes",
      "pulumi-resource-rabbitmq",
      "pulumi-resource-tls",
    ]);
  });

  it("runs the CLI and language host at the SDK's version", () => {
    const want = `v${pkg.dependencies["@pulumi/pulumi"]}`;
    assert.equal(run("pulumi", ["version"]).trim(), want);
    assert.equal(
      run(path.join(toolchainBin(), "pulumi-language-nodejs"), ["-version"]).trim(),
      want,
    );
  });

  it("built each plugin it built from the official source archive, checked by sha256", () => {
    const manifest = path.join(PROJECT_DIR, "..", "shared", "upstream", "MANIFEST.md");
    const sums = fs.existsSync(manifest) ? fs.readFileSync(manifest, "utf8") : undefined;
    for (const [name, archives] of [
      ["pulumi-language-nodejs", ["pulumi-language-nodejs-v3.248.0.tar.gz"]],
      [
        "pulumi-resource-rabbitmq",
        ["pulumi-rabbitmq-v3.3.8.tar.gz", "terraform-provider-rabbitmq-926b921.tar.gz"],
      ],
      [
        "pulumi-resource-docker",
        ["pulumi-docker-v4.6.2.tar.gz", "terraform-provider-docker-54685a5.tar.gz"],
      ],
      ["pulumi-resource-kubernetes", ["pulumi-kubernetes-v4.32.0.tar.gz"]],
      [
        "pulumi-resource-tls",
        ["pulumi-tls-v5.3.0.tar.gz", "terraform-provider-tls-857b38c.tar.gz"],
      ],
    ] as const) {
      const s = stamp(name);
      if (!s.archive) continue; // installed the normal way (PATH or plugin cache), not built here
      assert.deepEqual(s.archive.map((a) => a.split(" ")[0]).sort(), [...archives].sort(), name);
      if (sums)
        for (const a of s.archive)
          assert.ok(sums.includes(a.split(" ")[1]), `${name}: ${a} is not the MANIFEST.md sha256`);
    }
  });

  it("keeps each binary it built in the build cache outside the repo, under the sha256 of its stamp", () => {
    const cache =
      process.env.WARREN_BUILD_CACHE ||
      path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "warren-builds");
    for (const name of fs.readdirSync(toolchainBin())) {
      const file = stampFile(name);
      if (!file) continue; // installed the normal way (PATH or plugin cache), not built here
      const entry = path.join(cache, name, sha256(file), name);
      const built = file.slice(0, -".stamp".length);
      assert.ok(fs.existsSync(entry), `${name}: ${entry} is missing`);
      const [a, b] = [fs.statSync(entry), fs.statSync(built)];
      if (a.dev !== b.dev || a.ino !== b.ino) assert.equal(sha256(entry), sha256(built), name); // a copy
    }
  });

  for (const [name, sdk] of [
    ["rabbitmq", "@pulumi/rabbitmq"],
    ["docker", "@pulumi/docker"],
    ["kubernetes", "@pulumi/kubernetes"],
    ["tls", "@pulumi/tls"],
  ] as const) {
    it(`serves the ${name} schema at the version of ${sdk}, with every resource the SDK declares`, () => {
      const schema = JSON.parse(
        run("pulumi", [
          "package",
          "get-schema",
          path.join(toolchainBin(), `pulumi-resource-${name}`),
        ]),
      ) as {
        name: string;
        version: string;
        resources: Record<string, unknown>;
      };
      assert.equal(schema.name, name);
      assert.equal(schema.version, pkg.dependencies[sdk]);
      // Every module's index.js registers its resources (kubernetes: one module per API group).
      const dir = path.join(PROJECT_DIR, "node_modules", ...sdk.split("/"));
      const tokens = fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter(
          (f) => path.basename(f) === "index.js" && !f.split(path.sep).includes("node_modules"),
        )
        .flatMap((f) => [
          ...fs
            .readFileSync(path.join(dir, f), "utf8")
            .matchAll(new RegExp(`case "(${name}:[^":]+:[^":]+)"`, "g")),
        ])
        .map((m) => m[1]);
      assert.ok(tokens.length > 3, `${sdk} declares resources`);
      assert.deepEqual(
        tokens.filter((t) => !(t in schema.resources)),
        [],
      );
    });
  }
});
