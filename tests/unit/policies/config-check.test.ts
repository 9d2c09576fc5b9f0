// The environment configs are checked before they reach the engine, which ignores unknown rules.
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { checkPolicyConfig } from "../../../policies/config-check";
import { PROJECT_DIR } from "../../support/program";

describe("policy config check", () => {
  for (const env of ["dev", "staging", "prod"])
    it(`accepts policies/${env}.json`, () => {
      const file = path.join(PROJECT_DIR, "policies", `${env}.json`);
      assert.deepEqual(
        checkPolicyConfig(JSON.parse(readFileSync(file, "utf8")), `${env}.json`),
        [],
      );
    });

  it("rejects an unknown rule, a bad level, an unknown setting and a wrongly typed one", () => {
    const doc = {
      all: "strict",
      "pinned-image": "advisory",
      "odd-cluster-replicas": { enforcementLevel: "sometimes", minReplica: 3 },
      "paging-consumer-replicas": { minReplicas: "two" },
    };
    assert.deepEqual(checkPolicyConfig(doc, "prod.json"), [
      'prod.json: "all": must be one of advisory, mandatory, remediate, disabled',
      'prod.json: "pinned-image": no such rule (did you mean "pinned-images"?)',
      'prod.json: "odd-cluster-replicas".enforcementLevel: must be one of advisory, mandatory, remediate, disabled',
      'prod.json: "odd-cluster-replicas".minReplica: the rule has no such setting (did you mean "minReplicas"?)',
      'prod.json: "paging-consumer-replicas".minReplicas: must be of type integer',
    ]);
  });

  it("rejects a config that is not an object", () => {
    assert.deepEqual(checkPolicyConfig(["mandatory"], "x.json"), [
      "x.json: must be a JSON object of rule name → enforcement level or settings",
    ]);
  });
});
