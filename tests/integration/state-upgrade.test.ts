// The one-time state upgrade, on the real engine and a real broker: a stack brought up by the
// per-object topology (warren as of LEGACY_COMMIT, built from this repository's history) keeps
// its queues and their messages when this checkout takes it over through
// scripts/state/upgrade.sh, and a preview without the upgrade would have deleted them.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { drain, publishConfirmed } from "../support/amqp";
import { type Broker, ensureBroker } from "../support/broker";
import { type TestProject, testProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";

/** The last commit of the per-object topology (main before issue 15). */
const LEGACY_COMMIT = "9a5bd2c";

function stackConfig(broker: Broker): Record<string, unknown> {
  return {
    "warren:environment": "dev",
    "warren:broker": { managementUrl: broker.managementUrl, username: broker.adminUser },
    "warren:topology": {
      vhosts: [{ name: "ledger", description: "kept across the upgrade" }],
      users: [{ name: "clerk" }],
      permissions: [{ user: "clerk", vhost: "ledger", configure: "^$", write: ".*", read: ".*" }],
      exchanges: [{ name: "entries", vhost: "ledger", type: "direct" }],
      queues: [{ name: "entries.kept", vhost: "ledger", type: "quorum" }],
      bindings: [
        { vhost: "ledger", source: "entries", destination: "entries.kept", routingKey: "e" },
      ],
    },
  };
}

/** Points the test project at a compiled program. */
function useProgram(project: TestProject, bin: string): void {
  fs.writeFileSync(
    path.join(project.dir, "Pulumi.yaml"),
    stringify({
      name: "warren",
      runtime: { name: "nodejs", options: { typescript: false } },
      main: bin,
    }),
  );
}

function upgrade(project: TestProject, stack: string, ...args: string[]) {
  return spawnSync(
    "bash",
    [path.join(PROJECT_DIR, "scripts/state/upgrade.sh"), project.dir, stack, ...args],
    {
      env: { ...process.env, ...project.env, WARREN_BACKUP_DIR: path.join(project.dir, "backups") },
      encoding: "utf8",
    },
  );
}

const stateTypes = (project: TestProject, stack: string): string[] =>
  (
    JSON.parse(project.cli(["stack", "export", "--stack", stack]).stdout) as {
      deployment: { resources?: { type: string }[] };
    }
  ).deployment.resources?.map((r) => r.type) ?? [];

describe("upgrading a per-object topology's state", { timeout: 15 * 60_000 }, () => {
  let broker: Broker;
  let project: TestProject;
  let stack: Stack;
  let legacy: string;

  before(async () => {
    broker = await ensureBroker();
    // The legacy program, compiled from this repository's history with today's node_modules.
    legacy = fs.mkdtempSync(path.join(os.tmpdir(), "warren-legacy-"));
    execFileSync("bash", [
      "-c",
      `git -C "${PROJECT_DIR}" archive ${LEGACY_COMMIT} | tar -x -C "${legacy}"`,
    ]);
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(legacy, "node_modules"));
    execFileSync(
      process.execPath,
      [
        path.join(PROJECT_DIR, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.json",
        "--noCheck",
      ],
      { cwd: legacy },
    );
    project = await testProject();
    useProgram(project, path.join(legacy, "bin"));
    stack = await project.stack("legacy", stackConfig(broker), {
      "warren:broker.password": broker.adminPassword,
    });
  });
  after(async () => {
    try {
      await stack?.destroy().catch(() => {});
    } finally {
      project?.dispose();
      if (legacy) fs.rmSync(legacy, { recursive: true, force: true });
      await broker?.stop();
    }
  });

  it("brings the stack up with the per-object topology and a message in its queue", async () => {
    const r = await stack.up();
    assert.equal(r.summary.result, "succeeded");
    const types = stateTypes(project, "legacy");
    assert.ok(types.includes("rabbitmq:index/queue:Queue"), types.join(", "));
    await publishConfirmed(broker.amqpUrl(undefined, undefined, "ledger"), "entries", [
      { routingKey: "e", body: "entry-1" },
    ]);
  });

  it("without the upgrade, this checkout's preview would delete the queue", async () => {
    useProgram(project, path.join(PROJECT_DIR, "bin"));
    const p = await stack.preview();
    assert.match(p.stdout, /rabbitmq:index(\/queue)?:Queue\s+\S*entries\.kept\s+delete/);
    assert.ok((p.changeSummary.delete ?? 0) > 0);
  });

  it("--check refuses the legacy state and rewrites nothing", () => {
    const r = upgrade(project, "legacy", "--check");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /comes from warren's per-object topology/);
    assert.ok(stateTypes(project, "legacy").includes("rabbitmq:index/queue:Queue"));
  });

  it("the upgrade drops the per-object resources from the state alone, once", async () => {
    const queues = async () =>
      (await broker.mgmtJson<{ name: string }[]>("/api/queues/ledger")).map((q) => q.name);
    const before_ = await queues();
    const r = upgrade(project, "legacy");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /state upgrade: \d+ resources of the per-object topology/);
    const types = stateTypes(project, "legacy");
    assert.deepEqual(
      types.filter((t) => t.startsWith("rabbitmq:") || t === "pulumi:providers:rabbitmq"),
      [],
    );
    assert.ok(types.includes("warren:rabbitmq:Topology"));
    const backups = fs
      .readdirSync(path.join(project.dir, "backups"))
      .filter((f) => f.endsWith(".json"));
    assert.equal(backups.length, 1);
    assert.doesNotMatch(
      fs.readFileSync(path.join(project.dir, "backups", backups[0]), "utf8"),
      new RegExp(broker.adminPassword),
    );
    assert.deepEqual(await queues(), before_);
    assert.deepEqual(before_, ["entries.kept"]);
    // A second run finds nothing to do.
    const again = upgrade(project, "legacy");
    assert.equal(again.status, 0, again.stderr);
    assert.equal(
      fs.readdirSync(path.join(project.dir, "backups")).filter((f) => f.endsWith(".json")).length,
      1,
    );
    assert.equal(upgrade(project, "legacy", "--check").status, 0);
  });

  it("pulumi up then keeps the queue and its message, and a preview has nothing to do", async () => {
    const r = await stack.up();
    assert.equal(r.summary.result, "succeeded");
    assert.equal(r.summary.resourceChanges?.delete ?? 0, 0);
    const q = await broker.mgmtJson<{ type: string }>("/api/queues/ledger/entries.kept");
    assert.equal(q.type, "quorum");
    const vhost = await broker.mgmtJson<{ description: string }>("/api/vhosts/ledger");
    assert.equal(vhost.description, "kept across the upgrade");
    const creds = r.outputs.credentials.value as Record<string, string>;
    assert.deepEqual(await drain(broker.amqpUrl("clerk", creds.clerk, "ledger"), "entries.kept"), [
      "entry-1",
    ]);
    const p = await stack.preview();
    assert.deepEqual(
      Object.keys(p.changeSummary).filter((k) => k !== "same"),
      [],
    );
  });
});
