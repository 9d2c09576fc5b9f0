// `warren graph`: the stack's topology as a Mermaid flowchart on stdout, exit codes and errors.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { loadWarrenSpec } from "../../../components/config/spec";
import { readStackConfig } from "../../../components/config/stack-file";
import { mermaidGraph } from "../../../review/graph";
import { runCli } from "../../support/cli";
import { TempRepo } from "../../support/git-repo";
import { PROJECT_DIR } from "../../support/program";

describe("warren graph", () => {
  it("prints the dev stack's topology as a Mermaid flowchart", () => {
    const r = runCli(PROJECT_DIR, "graph", "--stack", "dev");
    const topology = loadWarrenSpec(
      readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.dev.yaml") }),
    ).topology;
    assert.deepEqual([r.code, r.err], [0, []]);
    assert.deepEqual(r.out, mermaidGraph(topology).split("\n"));
    assert.equal(r.out[0], "flowchart LR");
  });

  it("reads --file, and exits 1 listing the errors of an invalid stack", () => {
    const dir = new TempRepo("warren-graph-", false);
    try {
      dir.write(
        "one.yaml",
        "config:\n  warren:environment: dev\n  warren:topology:\n    vhosts: [{ name: v }]\n    queues: [{ name: q, vhost: v }]\n",
      );
      dir.write(
        "bad.yaml",
        "config:\n  warren:environment: dev\n  warren:topology:\n    queues: [{ name: q, vhost: v }]\n",
      );
      const one = runCli(dir.dir, "graph", "--file", "one.yaml");
      assert.deepEqual(
        [one.code, one.out.length, one.out[1], one.out[2]],
        [0, 4, '  subgraph vh_v_c6d6f519 ["vhost v"]', '    qu_q_de03bc78[("q<br/>classic")]'],
      );
      const bad = runCli(dir.dir, "graph", "--file", "bad.yaml");
      assert.deepEqual(
        [bad.code, bad.out, bad.err],
        [
          1,
          [],
          [
            "warren: bad.yaml is not valid:",
            'warren:topology.queues[0].vhost: vhost "v" is not declared',
          ],
        ],
      );
      assert.deepEqual(runCli(dir.dir, "graph", "--stack", "x", "--file", "one.yaml").err, [
        "warren: give --stack or --file, not both",
      ]);
    } finally {
      dir.remove();
    }
  });
});

describe("warren help", () => {
  it("lists diff and graph", () => {
    const r = runCli(PROJECT_DIR, "help");
    assert.ok(
      r.out[0].includes(
        "  warren diff     [--stack NAME] [--base GIT_REF | --base-file PATH] [--format text|markdown] [--graph]",
      ),
    );
    assert.ok(r.out[0].includes("  warren graph    [--stack NAME | --file PATH]"));
    assert.equal(
      runCli(PROJECT_DIR, "diff", "--help").out[0].split("\n")[0],
      "usage: warren diff [--stack NAME] [--base GIT_REF | --base-file PATH] [--format text|markdown] [--graph]",
    );
  });
});
