// The policy pack through the real engine: `pulumi preview --policy-pack policies` passes for a
// dev stack, and fails for an insecure prod stack, listing the mandatory violations.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { refusal } from "../support/amqp";
import { type Broker, ensureBroker } from "../support/broker";
import { type TestProject, testProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";

const pack = path.join(PROJECT_DIR, "policies");
const envConfig = (env: string) => path.join(pack, `${env}.json`);

describe("the policy pack under the real engine", { timeout: 10 * 60_000 }, () => {
  let broker: Broker;
  let project: TestProject;
  before(async () => {
    broker = await ensureBroker();
    project = await testProject();
  });
  after(async () => {
    project?.dispose();
    await broker?.stop();
  });
  const base = (env: string) => ({
    "warren:environment": env,
    "warren:broker": { managementUrl: broker.managementUrl, username: broker.adminUser },
    "warren:alerting": {},
  });

  it("passes a dev stack with the dev rules", async () => {
    const stack = await project.stack("policy-dev", base("dev"), {
      "warren:broker.password": broker.adminPassword,
    });
    const r = await stack.preview({ policyPacks: [pack], policyPackConfigs: [envConfig("dev")] });
    assert.match(r.stdout, /warren@v0\.1\.0/);
    assert.doesNotMatch(r.stdout, /mandatory|advisory/);
  });

  it("fails an insecure prod stack with its mandatory violations", async () => {
    const config = {
      ...base("prod"),
      "warren:alerting": { queueType: "classic" },
      "warren:topology": {
        users: [{ name: "ops", tags: ["administrator"] }],
        permissions: [{ user: "ops", vhost: "alerting", configure: ".*", write: ".*", read: ".*" }],
      },
    };
    const stack = await project.stack("policy-prod", config, {
      "warren:broker.password": broker.adminPassword,
    });
    const out = await refusal(() =>
      stack.preview({ policyPacks: [pack], policyPackConfigs: [envConfig("prod")] }),
    );
    for (const expected of [
      /\[mandatory\] \[severity: high\]\s+administrator-tag-admin-only/,
      /user "ops" has the administrator tag but is not one of the admin users \(none\)/,
      /\[mandatory\] \[severity: high\]\s+least-privilege-permissions/,
      /\[mandatory\] \[severity: high\]\s+quorum-alert-queues/,
      /alert queue "alerts\.sms" is a classic queue; use a quorum queue/,
    ])
      assert.match(out, expected);
  });
});
