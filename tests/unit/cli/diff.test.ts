// `warren diff` on a real git history: a temp repository commits a stack file on main, the test
// changes it in the working tree, and the report (text and Markdown) and exit code are checked
// exactly against tests/fixtures/review/<case>.{txt,md}, where {{SHA}} stands for the base commit.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync, rmSync } from "fs";
import * as path from "path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { mermaidGraph } from "../../../review/graph";
import { loadWarrenSpec } from "../../../components/config/spec";
import { runCli } from "../../support/cli";
import { TempRepo } from "../../support/git-repo";
import { PROJECT_DIR } from "../../support/program";

const FIXTURES = path.join(PROJECT_DIR, "tests/fixtures/review");
const BASE = readFileSync(path.join(FIXTURES, "Pulumi.base.yaml"), "utf8");

/** `text` with `from` replaced by `to`; fails if `from` is not there, so no case diffs nothing. */
function edit(text: string, ...pairs: [string, string][]): string {
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `the base stack file has ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}

const expected = (name: string, sha: string) =>
  readFileSync(path.join(FIXTURES, name), "utf8")
    .replaceAll("{{SHA}}", sha)
    .replace(/\n$/, "")
    .split("\n");

const CASES: { name: string; does: string; exit: number; change: (base: string) => string }[] = [
  {
    name: "add-channel",
    does: "adds a channel: its objects, the delivery it gains and the new consumer's access, exit 0",
    exit: 0,
    change: (b) =>
      edit(b, [
        "      - { name: sms, minSeverity: critical }\n",
        "      - { name: sms, minSeverity: critical }\n      - { name: pager, minSeverity: critical }\n",
      ]),
  },
  {
    name: "raise-min-severity",
    does: "raises a channel's minSeverity: lower severities lose delivery and become unroutable, exit 2",
    exit: 2,
    change: (b) =>
      edit(b, ["{ name: email, minSeverity: warning }", "{ name: email, minSeverity: critical }"]),
  },
  {
    name: "queue-type",
    does: "changes a queue's type: the queue is replaced, dropping its messages, exit 2",
    exit: 2,
    change: (b) =>
      edit(b, [
        "{ name: audit.log, vhost: audit, type: quorum }",
        "{ name: audit.log, vhost: audit, type: classic }",
      ]),
  },
  {
    name: "policy-ttl",
    does: "changes a policy's TTL: an update in place, exit 0",
    exit: 0,
    change: (b) => edit(b, ["message-ttl: 604800000", "message-ttl: 86400000"]),
  },
  {
    name: "widen-permission",
    does: "widens a permission to .*: flagged with every name it now matches, exit 0",
    exit: 0,
    change: (b) => edit(b, ['write: "^audit$"', 'write: ".*"']),
  },
  {
    name: "rename-exchange",
    does: "renames an exchange: removed and added, its binding follows, exit 0",
    exit: 0,
    change: (b) =>
      edit(
        b,
        [
          "{ name: audit, vhost: audit, type: fanout }",
          "{ name: audit-events, vhost: audit, type: fanout }",
        ],
        ["source: audit,", "source: audit-events,"],
        ['write: "^audit$"', 'write: "^audit-events$"'],
      ),
  },
];

describe("warren diff against a git ref", () => {
  const repo = new TempRepo("warren-diff-");
  let sha = "";
  before(() => {
    repo.write("Pulumi.test.yaml", BASE);
    sha = repo.commit("the base stack").slice(0, 7);
  });
  after(() => repo.remove());

  for (const c of CASES) {
    it(`reports a change that ${c.does}`, () => {
      repo.write("Pulumi.test.yaml", c.change(BASE));
      for (const [format, ext] of [
        ["text", "txt"],
        ["markdown", "md"],
      ]) {
        const r = runCli(repo.dir, "diff", "--stack", "test", "--base", "main", "--format", format);
        assert.deepEqual(r.err, []);
        assert.deepEqual(r.out, expected(`${c.name}.${ext}`, sha), `${c.name}.${ext}`);
        assert.equal(r.code, c.exit, `${c.name} ${format} exit code`);
      }
    });
  }

  it("reports no changes, exit 0, when the working tree has the base's file", () => {
    repo.write("Pulumi.test.yaml", BASE);
    const r = runCli(repo.dir, "diff", "--stack", "test", "--base", "main");
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [
      `warren diff: stack test, base main (${sha}) → working tree`,
      "Nothing that needs approval.",
      "",
      "Alert routing: unchanged (x: delivered by <severity>.all):",
      "    severity  email  sms",
      "    warning   x      -",
      "    critical  x      x",
      "",
      "No changes to broker objects.",
    ]);
  });

  it("appends the new topology as a Mermaid diagram in a collapsed block with --graph", () => {
    const changed = CASES[0].change(BASE);
    repo.write("Pulumi.test.yaml", changed);
    const r = runCli(
      repo.dir,
      "diff",
      "--stack",
      "test",
      "--base",
      "main",
      "--format",
      "markdown",
      "--graph",
    );
    assert.equal(r.code, 0);
    const graph = mermaidGraph(
      loadWarrenSpec((parse(changed) as { config: Record<string, unknown> }).config).topology,
    ).split("\n");
    const report = expected("add-channel.md", sha);
    assert.deepEqual(r.out, [
      ...report,
      "",
      "<details><summary>Topology after this change (Mermaid)</summary>",
      "",
      "```mermaid",
      ...graph,
      "```",
      "",
      "</details>",
    ]);
  });

  it("treats a stack file the base does not have as a new stack: everything added", () => {
    repo.write(
      "Pulumi.fresh.yaml",
      "config:\n  warren:environment: dev\n  warren:topology:\n    vhosts: [{ name: v }]\n    queues: [{ name: q, vhost: v }]\n",
    );
    const r = runCli(repo.dir, "diff", "--stack", "fresh", "--base", "main");
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [
      `warren diff: stack fresh, base main (${sha}), which has no Pulumi.fresh.yaml (a new stack) → working tree`,
      "Nothing that needs approval.",
      "",
      "Changes (+ added, - removed, ~ updated in place, ! replaced):",
      "  vhost v",
      "    + vhost v",
      "    + queue q (classic)",
    ]);
    rmSync(path.join(repo.dir, "Pulumi.fresh.yaml"));
  });

  it("exits 1 and lists the errors of an invalid base", () => {
    repo.write("Pulumi.test.yaml", BASE);
    repo.git("checkout", "--quiet", "-b", "broken");
    repo.write(
      "Pulumi.test.yaml",
      BASE.replace("type: quorum }", "type: quorum, durable: false }"),
    );
    repo.commit("a broken stack");
    repo.git("checkout", "--quiet", "main");
    const r = runCli(repo.dir, "diff", "--stack", "test", "--base", "broken");
    assert.deepEqual([r.code, r.out], [1, []]);
    assert.deepEqual(r.err, [
      "warren: broken:Pulumi.test.yaml (base) is not valid:",
      "warren:topology.queues[0].durable: quorum queues must be durable",
    ]);
  });

  it("exits 1 and lists the errors of an invalid working tree", () => {
    repo.write(
      "Pulumi.test.yaml",
      BASE.replace("warren:environment: dev", "warren:environment: qa"),
    );
    const r = runCli(repo.dir, "diff", "--stack", "test", "--base", "main");
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      "warren: Pulumi.test.yaml (working tree) is not valid:",
      'warren:environment: must be one of "dev", "staging", "prod", got "qa"',
    ]);
  });

  it("exits 1 on a ref that names no commit, a missing stack file, and contradictory options", () => {
    repo.write("Pulumi.test.yaml", BASE);
    assert.deepEqual(runCli(repo.dir, "diff", "--stack", "test", "--base", "nope").err, [
      'warren: git ref "nope" names no commit',
    ]);
    assert.deepEqual(runCli(repo.dir, "diff", "--stack", "none", "--base", "main").err, [
      `warren: ${path.join(repo.dir, "Pulumi.none.yaml")}: no such stack file`,
    ]);
    assert.deepEqual(
      runCli(repo.dir, "diff", "--stack", "test", "--base", "main", "--base-file", "x").err,
      ["warren: give --base or --base-file, not both"],
    );
    assert.deepEqual(runCli(repo.dir, "diff", "--stack", "test", "--format", "html").err, [
      'warren: --format must be text or markdown, got "html"',
    ]);
    const graphText = runCli(repo.dir, "diff", "--stack", "test", "--graph");
    assert.deepEqual(
      [graphText.code, graphText.err],
      [1, ["warren: --graph needs --format markdown"]],
    );
  });

  it("reads the base from a file with --base-file, git or not", () => {
    const plain = new TempRepo("warren-plain-", false);
    try {
      plain.write("old.yaml", BASE).write("Pulumi.test.yaml", CASES[3].change(BASE));
      const r = runCli(plain.dir, "diff", "--stack", "test", "--base-file", "old.yaml");
      assert.equal(r.code, 0);
      assert.deepEqual(r.out.slice(0, 2), [
        "warren diff: stack test, base old.yaml → working tree",
        "Nothing that needs approval.",
      ]);
      assert.ok(
        r.out.includes("    ~ policy audit-ttl: definition.message-ttl 604800000 → 86400000"),
      );
      const noGit = runCli(plain.dir, "diff", "--stack", "test");
      assert.equal(noGit.code, 1);
      assert.match(
        noGit.err[0],
        /^warren: .* is not in a git repository \(.*\); give the base as --base-file PATH$/,
      );
    } finally {
      plain.remove();
    }
  });
});

describe("warren diff's default base", () => {
  it("is the merge base of HEAD with main when there is no origin/main", () => {
    const repo = new TempRepo("warren-mb-");
    try {
      repo.write("Pulumi.test.yaml", BASE);
      const forkPoint = repo.commit("base").slice(0, 7);
      repo.git("checkout", "--quiet", "-b", "feature");
      repo.write("Pulumi.test.yaml", CASES[2].change(BASE));
      repo.commit("classic audit queue");
      // main moves on after the fork: the diff still compares with the fork point.
      repo.git("checkout", "--quiet", "main");
      repo.write("Pulumi.test.yaml", CASES[3].change(BASE));
      repo.commit("shorter TTL on main");
      repo.git("checkout", "--quiet", "feature");
      const r = runCli(repo.dir, "diff", "--stack", "test");
      assert.equal(r.code, 2);
      assert.deepEqual(r.out.slice(0, 2), [
        `warren diff: stack test, base merge base of HEAD and main (${forkPoint}) → working tree`,
        "Needs approval: 1 queue replaced.",
      ]);
      assert.ok(
        !r.out.some((l) => l.includes("audit-ttl")),
        "main's later TTL change is not part of this branch's diff",
      );
    } finally {
      repo.remove();
    }
  });
});

describe("the compiled command", () => {
  it("exits 2 when a queue is replaced", () => {
    const repo = new TempRepo("warren-npx-");
    try {
      repo.write("Pulumi.test.yaml", BASE);
      repo.commit("base");
      repo.write("Pulumi.test.yaml", CASES[2].change(BASE));
      const r = spawnSync(
        process.execPath,
        [path.join(PROJECT_DIR, "bin/cli/warren.js"), "diff", "--stack", "test", "--base", "main"],
        { cwd: repo.dir, encoding: "utf8" },
      );
      assert.equal(r.status, 2);
      assert.equal(r.stdout.split("\n")[1], "Needs approval: 1 queue replaced.");
    } finally {
      repo.remove();
    }
  });
});
