// The project's own stacks against the policy pack: the resources the dev and a prod config
// produce (from the mock run) pass every mandatory rule of their environment; a deliberately
// insecure config violates exactly the expected rules.
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { RULES } from "../../../policies/rules";
import { evaluate, fromMocks } from "../../support/policy";
import { PROJECT_DIR, type StackConfig, runProgram } from "../../support/program";

const envConfig = (env: string) =>
  JSON.parse(readFileSync(path.join(PROJECT_DIR, "policies", `${env}.json`), "utf8")) as Record<
    string,
    unknown
  >;

/** Runs the program under mocks with a stack file's config (plus edits) and returns its resources. */
async function resourcesOf(file: string, edit: (c: StackConfig) => void = () => {}) {
  const { run } = await runProgram(file, {
    edit: (config) => {
      if (config["warren:broker"]) config["warren:broker"].password = "generated-admin-password";
      edit(config);
    },
  });
  return fromMocks(run.resources);
}

describe("the project's stacks under the policy pack", () => {
  it("the dev stack passes every mandatory dev rule, and every rule at all", async () => {
    const found = await evaluate(
      RULES,
      await resourcesOf(path.join(PROJECT_DIR, "Pulumi.dev.yaml")),
      envConfig("dev"),
    );
    assert.deepEqual(found, []);
  });

  it("a prod stack passes every rule, mandatory in prod", async () => {
    const found = await evaluate(
      RULES,
      await resourcesOf(path.join(PROJECT_DIR, "tests", "fixtures", "prod.yaml")),
      envConfig("prod"),
    );
    assert.deepEqual(found, []);
  });

  it("the staging stack (Kubernetes) passes every mandatory staging rule", async () => {
    const found = await evaluate(
      RULES,
      await resourcesOf(path.join(PROJECT_DIR, "Pulumi.staging.yaml")),
      envConfig("staging"),
    );
    assert.deepEqual(
      found.filter((f) => f.level === "mandatory"),
      [],
    );
  });

  it("a dev stack with plaintext listeners beside TLS, or TLS off, violates broker-tls-only", async () => {
    const dev = path.join(PROJECT_DIR, "Pulumi.dev.yaml");
    const tlsRule = async (tls: object) =>
      (
        await evaluate(
          RULES,
          await resourcesOf(dev, (c) => {
            c["warren:cluster"] = { ...c["warren:cluster"], tls };
          }),
          envConfig("dev"),
        )
      ).filter((f) => f.rule === "broker-tls-only");
    const plaintext = await tlsRule({ mode: "generate", disablePlaintext: false });
    assert.deepEqual(
      plaintext.map((f) => [f.level, f.message]),
      [1, 2, 3].map((i) => [
        "mandatory",
        `container "warren-test-rabbit-${i}": TLS is on but AMQP and management over HTTP still listen in plaintext (warren:cluster.tls.disablePlaintext is false)`,
      ]),
    );
    const off = await tlsRule({ mode: "off" });
    assert.equal(off.length, 3);
    assert.match(off[0].message, /TLS is off .*this environment requires it$/);
  });

  it("an insecure prod config violates the expected rules", async () => {
    const resources = await resourcesOf(
      path.join(PROJECT_DIR, "tests", "fixtures", "prod.yaml"),
      (c) => {
        c["warren:alerting"]!.queueType = "classic";
        c["warren:topology"] = {
          users: [{ name: "ops", tags: ["administrator"] }],
          permissions: [
            { user: "ops", vhost: "alerting", configure: ".*", write: ".*", read: ".*" },
          ],
          queues: [{ name: "scratch", vhost: "alerting", type: "classic", durable: false }],
        };
      },
    );
    const mandatory = (await evaluate(RULES, resources, envConfig("prod"))).filter(
      (f) => f.level === "mandatory",
    );
    const byRule = new Map<string, string[]>();
    for (const f of mandatory) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f.message]);
    assert.deepEqual([...byRule.keys()].sort(), [
      "administrator-tag-admin-only",
      "durable-exchanges-and-queues",
      "least-privilege-permissions",
      "queues-bounded-and-dead-lettered",
      "quorum-alert-queues",
    ]);
    assert.deepEqual(byRule.get("administrator-tag-admin-only"), [
      'user "ops" has the administrator tag but is not one of the admin users (none)',
    ]);
    assert.deepEqual(byRule.get("durable-exchanges-and-queues"), [
      'queue "scratch" in vhost "alerting" is not durable',
    ]);
    assert.deepEqual(byRule.get("queues-bounded-and-dead-lettered"), [
      'queue "scratch" in vhost "alerting" has no length limit',
    ]);
    assert.equal(byRule.get("quorum-alert-queues")!.length, 6);
    assert.deepEqual(byRule.get("least-privilege-permissions"), [
      'user "ops" in vhost "alerting" may configure everything (".*")',
      'user "ops" in vhost "alerting": configure pattern ".*" is not anchored (^...$)',
      'user "ops" in vhost "alerting": write pattern ".*" is not anchored (^...$)',
      'user "ops" in vhost "alerting": read pattern ".*" is not anchored (^...$)',
    ]);
  });
});
