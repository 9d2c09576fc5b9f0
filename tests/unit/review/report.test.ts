// The `warren diff` reports and exit code for what the git-based CLI cases do not reach: prod
// retention, deleted queues, stack settings, a new stack,
// and Markdown quoting of awkward names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type WarrenSpec, loadWarrenSpec } from "../../../components/config/spec";
import { code, markdownReport, textReport } from "../../../review/report";
import { exitCode, reviewChange } from "../../../review/review";

function spec(
  environment: string,
  topology: Record<string, unknown>,
  alerting?: Record<string, unknown>,
): WarrenSpec {
  return loadWarrenSpec({
    "warren:environment": environment,
    "warren:topology": topology,
    ...(alerting ? { "warren:alerting": alerting } : {}),
  });
}

const meta = { stack: "prod", base: "origin/main (abcdef0)", head: "working tree" };

describe("a prod change that replaces a queue and drops one", () => {
  const before = spec("prod", {
    vhosts: [{ name: "v" }],
    exchanges: [{ name: "x", vhost: "v", type: "direct" }],
    queues: [
      { name: "a", vhost: "v", arguments: { "x-max-length": 1 } },
      { name: "b", vhost: "v" },
    ],
    bindings: [{ vhost: "v", source: "x", destination: "a", routingKey: "k" }],
  });
  const after = spec("staging", {
    vhosts: [{ name: "v" }],
    exchanges: [{ name: "x", vhost: "v", type: "direct" }],
    queues: [{ name: "a", vhost: "v", arguments: { "x-max-length": 2 } }],
    bindings: [{ vhost: "v", source: "x", destination: "a", routingKey: "k" }],
  });
  const review = reviewChange(before, after);

  it("needs approval (exit 2) for the replacement, not for the queue prod retains", () => {
    assert.deepEqual(review.approvals, ["1 queue replaced"]);
    assert.equal(exitCode(review), 2);
  });

  it("explains each replacement and the retention in text", () => {
    assert.equal(
      textReport(review, meta),
      [
        "warren diff: stack prod, base origin/main (abcdef0) → working tree",
        "Needs approval: 1 queue replaced.",
        "",
        "Replaced (deleted and recreated):",
        "  queue a in vhost v: arguments.x-max-length 1 → 2",
        "    prod retains queues on delete: the old queue stays, messages and all, and the broker refuses to redeclare it with other settings until it is migrated by hand; its 1 binding is recreated with it.",
        "",
        "Deleted queues and exchanges:",
        "  queue b in vhost v",
        "    prod retains it on the broker, messages and all, no longer managed; it has no bindings.",
        "",
        "Stack settings:",
        '  environment "prod" → "staging"',
        "",
        "Changes (+ added, - removed, ~ updated in place, ! replaced):",
        "  vhost v",
        "    ! queue a: arguments.x-max-length 1 → 2",
        "    - queue b (classic)",
      ].join("\n"),
    );
  });

  it("puts the same first in Markdown, under a caution", () => {
    assert.equal(
      markdownReport(review, meta),
      [
        "<!-- warren-diff stack=prod -->",
        "### warren diff: stack `prod`",
        "",
        "base origin/main (abcdef0) → working tree",
        "",
        "> [!CAUTION]",
        "> **Needs approval:** 1 queue replaced.",
        "",
        "#### ♻️ Replaced (deleted and recreated)",
        "",
        "- **queue `a`** in vhost `v`: `arguments.x-max-length` `1` → `2`. prod retains queues on delete: the old queue stays, messages and all, and the broker refuses to redeclare it with other settings until it is migrated by hand; its 1 binding is recreated with it.",
        "",
        "#### 🗑️ Deleted queues and exchanges",
        "",
        "- **queue `b`** in vhost `v`. prod retains it on the broker, messages and all, no longer managed; it has no bindings.",
        "",
        "#### ⚙️ Stack settings",
        "",
        '- `environment` `"prod"` → `"staging"`',
        "",
        "#### 📋 Changes by vhost",
        "",
        "**vhost `v`**",
        "",
        "- ♻️ queue `a`: `arguments.x-max-length` `1` → `2`",
        "- ➖ queue `b` (classic)",
        "",
        "➕ added · ➖ removed · ✏️ updated in place · ♻️ replaced",
      ].join("\n"),
    );
  });
});

describe("review of other changes", () => {
  it("needs no approval for a vhost whose description appears (updated in place)", () => {
    const r = reviewChange(
      spec("dev", { vhosts: [{ name: "v" }] }),
      spec("dev", { vhosts: [{ name: "v", description: "work" }] }),
    );
    assert.deepEqual([r.approvals, exitCode(r)], [[], 0]);
    assert.ok(
      textReport(r, meta).split("\n").includes('    ~ vhost v: description (unset) → "work"'),
      textReport(r, meta),
    );
  });

  it("needs approval for a queue deleted outside prod", () => {
    const r = reviewChange(
      spec("dev", { vhosts: [{ name: "v" }], queues: [{ name: "q", vhost: "v" }] }),
      spec("dev", { vhosts: [{ name: "v" }] }),
    );
    assert.deepEqual([r.approvals, exitCode(r)], [["1 queue deleted"], 2]);
    assert.deepEqual(textReport(r, meta).split("\n").slice(3, 5), [
      "Deleted queues and exchanges:",
      "  queue q in vhost v",
    ]);
  });

  it("says where producers publish when the alerting exchange is renamed, and does not flag topic permissions gone with their exchange", () => {
    const alerting = (exchange: string) => ({
      exchange,
      channels: [{ name: "email", minSeverity: "info" }],
    });
    const r = reviewChange(
      spec("dev", {}, alerting("alerts")),
      spec("dev", {}, alerting("alarms")),
    );
    const text = textReport(r, { ...meta, stack: "dev" }).split("\n");
    assert.ok(text.includes("  producers publish to alerting/alerts → alerting/alarms"));
    assert.deepEqual(
      r.access.map((f) => `${f.kind} ${f.user}${f.exchange ? ` on ${f.exchange}` : ""}`),
      ["permission alerts-consumer-email", "permission alerts-producer"],
    );
    assert.ok(
      markdownReport(r, { ...meta, stack: "dev" }).includes(
        "- **Producers publish to** `alerting/alerts` → `alerting/alarms`",
      ),
    );
  });

  it("reports a new stack in Markdown as everything added, with no alerting before", () => {
    const r = reviewChange(
      undefined,
      spec("dev", {}, { channels: [{ name: "sms", minSeverity: "critical" }] }),
    );
    const md = markdownReport(r, {
      stack: "new",
      base: "main (1234567)",
      head: "working tree",
      baseFile: "Pulumi.new.yaml",
    }).split("\n");
    assert.equal(
      md[3],
      "base main (1234567), which has no `Pulumi.new.yaml` (a new stack) → working tree",
    );
    assert.deepEqual(md.slice(8, 17), [
      "#### 📬 Alert routing",
      "",
      "| severity | `sms` |",
      "| --- | :---: |",
      "| `info` | ❌ |",
      "| `warning` | ❌ |",
      "| `error` | ❌ |",
      "| `critical` | ❌ → **✅** |",
      "",
    ]);
    assert.ok(md.includes("No alerting before this change."));
    assert.equal(exitCode(r), 0);
  });
});

describe("code", () => {
  it("fences names that contain backticks so Markdown shows them as written", () => {
    assert.equal(code("alerts"), "`alerts`");
    assert.equal(code("a`b"), "``a`b``");
    assert.equal(code("`x`"), "`` `x` ``");
  });
});
