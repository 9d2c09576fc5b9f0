// The CI steps (scripts/ci/*.sh, run as npm scripts by examples/ci/github-actions.yml): which
// stacks they work on, what they print and write, and their exit codes. ci:preview and ci:up hand
// each stack to `npm run preview|up`, checked here with a recording stand-in for npm.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { chmodSync, existsSync, readFileSync } from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { run } from "../../../cli/warren";
import { type TempRepo, gitTestEnv, withTempRepo } from "../../support/git-repo";
import { PROJECT_DIR } from "../../support/program";

const BASE = readFileSync(path.join(PROJECT_DIR, "tests/fixtures/review/Pulumi.base.yaml"), "utf8");
const BAD = "config:\n  warren:environment: qa\n";

function script(name: string, cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync("bash", [path.join(PROJECT_DIR, "scripts/ci", `${name}.sh`), ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...gitTestEnv,
      WARREN_STACKS: "",
      WARREN_DIFF_BASE: "",
      PULUMI_BACKEND_URL: "",
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_CONFIG_PASSPHRASE_FILE: "",
      ...env,
    },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `warren diff` in `cwd`, as the CLI prints it. */
function diffOutput(cwd: string, ...args: string[]): string {
  const out: string[] = [];
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    run(["diff", ...args], { out: (l) => out.push(l), err: () => undefined });
  } finally {
    process.chdir(prev);
  }
  return out.join("\n");
}

const withRepo = (fn: (r: TempRepo) => void) => withTempRepo("warren-ci-", fn);

describe("ci:validate", () => {
  it("validates every stack file, each line prefixed with its stack, and exits 1 if one is invalid", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE).write("Pulumi.b.yaml", BAD).write("Pulumi.yaml", "name: x\n");
      const all = script("validate", r.dir);
      assert.equal(all.code, 1);
      assert.equal(
        all.out,
        [
          "a: valid: 2 vhosts, 5 users, 6 exchanges, 7 queues, 13 bindings, 7 policies",
          'b: warren:environment: must be one of "dev", "staging", "prod", got "qa"',
          "",
        ].join("\n"),
      );
      assert.deepEqual(
        [
          script("validate", r.dir, ["a"]).code,
          script("validate", r.dir, [], { WARREN_STACKS: "a" }).code,
        ],
        [0, 0],
      );
    });
  });

  it("fails when there is no stack file", () => {
    withRepo((r) => {
      const none = script("validate", r.dir);
      assert.deepEqual(
        [none.code, none.err],
        [1, `ci:validate: no Pulumi.<stack>.yaml in ${r.dir}\n`],
      );
    });
  });
});

describe("ci:diff", () => {
  it("writes every stack's Markdown diff with its diagram to one comment and exits 2 when one needs approval", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE).write("Pulumi.b.yaml", BASE);
      r.commit("base");
      r.write("Pulumi.b.yaml", BASE.replace("type: quorum }", "type: classic }"));
      const res = script("diff", r.dir, [], { WARREN_DIFF_BASE: "main" });
      assert.equal(res.code, 2);
      const expected =
        [
          diffOutput(r.dir, "--stack", "a", "--base", "main", "--format", "markdown", "--graph"),
          diffOutput(r.dir, "--stack", "b", "--base", "main", "--format", "markdown", "--graph"),
        ].join("\n\n---\n\n") + "\n";
      assert.equal(readFileSync(path.join(r.dir, ".warren/ci/diff.md"), "utf8"), expected);
      assert.equal(res.out, expected);
      assert.ok(expected.includes("> **Needs approval:** 1 queue replaced."));
    });
  });

  it("exits 0 when nothing needs approval, using warren diff's default base", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE);
      r.commit("base");
      r.write("Pulumi.a.yaml", BASE.replace("message-ttl: 604800000", "message-ttl: 1000"));
      const res = script("diff", r.dir, ["a"], { WARREN_DIFF_OUT: "out/comment.md" });
      assert.equal(res.code, 0);
      assert.equal(
        readFileSync(path.join(r.dir, "out/comment.md"), "utf8"),
        diffOutput(r.dir, "--stack", "a", "--format", "markdown", "--graph") + "\n",
      );
    });
  });

  it("reports a stack that cannot be diffed in the comment and exits 1", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE);
      r.commit("base");
      r.write("Pulumi.b.yaml", BAD);
      const res = script("diff", r.dir, ["b", "a"], { WARREN_DIFF_BASE: "main" });
      assert.equal(res.code, 1);
      assert.equal(
        res.err,
        'b: warren: Pulumi.b.yaml (working tree) is not valid:\nb: warren:environment: must be one of "dev", "staging", "prod", got "qa"\n',
      );
      assert.ok(
        res.out.startsWith(
          '### warren diff: stack `b` failed\n\n```\nwarren: Pulumi.b.yaml (working tree) is not valid:\nwarren:environment: must be one of "dev", "staging", "prod", got "qa"\n```\n\n---\n\n<!-- warren-diff stack=a -->\n',
        ),
      );
    });
  });

  it("drops the diagrams, then cuts whole lines, to fit the comment size", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE);
      r.commit("base");
      const plain = diffOutput(r.dir, "--stack", "a", "--base", "main", "--format", "markdown");
      const note =
        "_Diagrams left out to fit a pull-request comment: `npx warren graph --stack NAME` draws them._";
      const fits = script("diff", r.dir, [], {
        WARREN_DIFF_BASE: "main",
        WARREN_DIFF_MAX_BYTES: "2000",
      });
      assert.deepEqual([fits.code, fits.out], [0, `${plain}\n\n${note}\n`]);
      const cut = script("diff", r.dir, [], {
        WARREN_DIFF_BASE: "main",
        WARREN_DIFF_MAX_BYTES: "400",
      });
      const lines = cut.out.split("\n");
      assert.ok(Buffer.byteLength(cut.out) <= 400, `${Buffer.byteLength(cut.out)} bytes`);
      assert.deepEqual(lines.slice(-3), [
        "",
        "_The report is cut here: it is longer than a pull-request comment may be. Run `npx warren diff` for all of it._",
        "",
      ]);
      for (const l of lines.slice(0, -3))
        assert.ok(plain.split("\n").includes(l), `a whole line of the report: ${l}`);
    });
  });
});

describe("ci:preview and ci:up", () => {
  /** A folder with an `npm` that logs its arguments and fails for the stack in $NPM_FAIL. */
  function fakeNpm(r: TempRepo): string {
    r.write(
      "fake-bin/npm",
      '#!/usr/bin/env bash\necho "$*" >> "$NPM_LOG"\n[ "$5" = "${NPM_FAIL:-}" ] && exit 3\nexit 0\n',
    );
    chmodSync(path.join(r.dir, "fake-bin/npm"), 0o755);
    return path.join(r.dir, "fake-bin");
  }

  it("refuse to run without the team's backend and secrets passphrase", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE);
      for (const name of ["preview", "up"]) {
        assert.deepEqual(
          script(name, r.dir).err,
          `ci:${name}: set PULUMI_BACKEND_URL to the stacks' state backend (e.g. s3://bucket/warren)\n`,
        );
        assert.deepEqual(
          script(name, r.dir, [], { PULUMI_BACKEND_URL: "file:///x" }).err,
          `ci:${name}: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) for the stacks' secrets\n`,
        );
      }
    });
  });

  it("ci:preview runs `npm run preview` for every stack, goes on after a failure and exits 1 naming it", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE).write("Pulumi.b.yaml", BASE).write("Pulumi.c.yaml", BASE);
      const log = path.join(r.dir, "npm.log");
      const env = {
        PATH: `${fakeNpm(r)}:${String(process.env.PATH)}`,
        NPM_LOG: log,
        PULUMI_BACKEND_URL: "file:///x",
        PULUMI_CONFIG_PASSPHRASE: "p",
      };
      const res = script("preview", r.dir, [], { ...env, NPM_FAIL: "b" });
      assert.equal(res.code, 1);
      assert.equal(
        readFileSync(log, "utf8"),
        "run --silent preview -- a\nrun --silent preview -- b\nrun --silent preview -- c\n",
      );
      assert.equal(res.err, "ci:preview: a\nci:preview: b\nci:preview: c\nci:preview: failed: b\n");
    });
  });

  it("ci:up runs `npm run up` for the given stacks in order and stops at the first failure", () => {
    withRepo((r) => {
      r.write("Pulumi.a.yaml", BASE).write("Pulumi.b.yaml", BASE);
      const log = path.join(r.dir, "npm.log");
      const env = {
        PATH: `${fakeNpm(r)}:${String(process.env.PATH)}`,
        NPM_LOG: log,
        PULUMI_BACKEND_URL: "file:///x",
        PULUMI_CONFIG_PASSPHRASE_FILE: "/p",
      };
      assert.equal(script("up", r.dir, ["b", "a"], env).code, 0);
      assert.equal(readFileSync(log, "utf8"), "run --silent up -- b\nrun --silent up -- a\n");
      const failed = script("up", r.dir, ["b", "a"], {
        ...env,
        NPM_FAIL: "b",
        NPM_LOG: `${log}.2`,
      });
      assert.equal(failed.code, 3);
      assert.equal(readFileSync(`${log}.2`, "utf8"), "run --silent up -- b\n");
    });
  });
});

/** The parts of a GitHub Actions workflow the test reads. */
interface Workflow {
  jobs: Record<string, { steps: WorkflowStep[] }>;
}
interface WorkflowStep {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

describe("the GitHub Actions example", () => {
  it("runs only the npm scripts tested here and posts the diff file ci:diff writes", () => {
    const workflow = parse(
      readFileSync(path.join(PROJECT_DIR, "examples/ci/github-actions.yml"), "utf8"),
    ) as Workflow;
    const runs: string[] = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .map((s) => s.run)
      .filter((x): x is string => !!x)
      .flatMap((x) => x.split("\n"))
      .filter((l) => /\bnpm\b/.test(l));
    assert.deepEqual(runs, [
      "npm ci",
      "npm run ci:validate",
      "npm run --silent ci:diff > /dev/null",
      "npm ci",
      "npm run ci:preview -- ${{ matrix.stack }}",
      "npm ci",
      "npm run ci:up -- ${{ matrix.stack }}",
    ]);
    for (const s of ["validate", "diff", "preview", "up"])
      assert.ok(existsSync(path.join(PROJECT_DIR, "scripts/ci", `${s}.sh`)), s);
    const post = workflow.jobs.review.steps.find((s) =>
      s.uses?.startsWith("marocchino/sticky-pull-request-comment"),
    );
    const diff = workflow.jobs.review.steps.find((s) => s.id === "diff");
    assert.ok(
      post?.with && diff?.env,
      "no sticky comment step with inputs, or no diff step with env",
    );
    assert.equal(post.with.path, diff.env.WARREN_DIFF_OUT);
  });
});
