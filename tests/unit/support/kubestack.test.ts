// The machine-state comparison of the Kubernetes test ignores tables that hold nothing (the kernel
// creates them when they are first listed) and nothing else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withoutEmptyTables } from "../../support/kubestack";

describe("withoutEmptyTables", () => {
  const filter = ["*filter", ":INPUT ACCEPT", ":FORWARD DROP", ":OUTPUT ACCEPT", "COMMIT"];
  const emptyMangle = [
    "*mangle",
    ":PREROUTING ACCEPT",
    ":INPUT ACCEPT",
    ":OUTPUT ACCEPT",
    "COMMIT",
  ];

  it("drops a table with no rules, no chains of its own and accepting built-ins", () => {
    assert.deepEqual(withoutEmptyTables([...emptyMangle, ...filter]), filter);
    assert.deepEqual(withoutEmptyTables(emptyMangle), []);
  });

  it("keeps a table with a rule, a chain of its own or a policy other than ACCEPT", () => {
    const rule = ["*nat", ":PREROUTING ACCEPT", "-A PREROUTING -j KUBE-SERVICES", "COMMIT"];
    const chain = ["*nat", ":PREROUTING ACCEPT", ":KUBE-SERVICES -", "COMMIT"];
    for (const t of [rule, chain, filter]) assert.deepEqual(withoutEmptyTables(t), t);
  });
});
