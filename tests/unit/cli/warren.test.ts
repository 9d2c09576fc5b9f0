// The reviewers' CLI: exit codes and exact output, on the committed dev stack and on bad files.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, it } from "node:test";
import { runCli } from "../../support/cli";
import { PROJECT_DIR } from "../../support/program";
import { tempFiles } from "../../support/temp";

const cli = (...argv: string[]) => runCli(PROJECT_DIR, ...argv);
const { dir, file } = tempFiles("warren-cli-");

describe("warren validate", () => {
  it("exits 0 for the committed dev stack", () => {
    const r = cli("validate", "--stack", "dev");
    assert.equal(r.code, 0);
    assert.deepEqual(r.err, [
      "valid: 2 vhosts, 9 users, 6 exchanges, 17 queues, 49 bindings, 17 policies",
    ]);
  });

  it("exits 1 with every error, one per line", () => {
    const bad = file(
      "bad.yaml",
      [
        "config:",
        "  warren:environment: dev",
        "  warren:topology:",
        "    vhosts: [{ name: v }]",
        "    queues: [{ name: q, vhost: v, type: quorum, durable: false }]",
        "    bindings: [{ vhost: v, source: alertz, destination: q }]",
      ].join("\n"),
    );
    const r = cli("validate", "--file", bad);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      "warren:topology.queues[0].durable: quorum queues must be durable",
      'warren:topology.bindings[0].source: exchange "alertz" is not declared in vhost "v"',
    ]);
  });

  it("reports a missing stack file and broken YAML without a stack trace", () => {
    assert.deepEqual(cli("validate", "--file", path.join(dir, "none.yaml")).err, [
      `warren: ${path.join(dir, "none.yaml")}: no such stack file`,
    ]);
    const r = cli("validate", "--file", file("broken.yaml", "config: [\n"));
    assert.equal(r.code, 1);
    assert.match(r.err[0], /^warren: .*broken\.yaml: not valid YAML: /);
  });
});

describe("warren route", () => {
  it("prints the receiving queues sorted, one per line", () => {
    const r = cli(
      "route",
      "--stack",
      "dev",
      "--vhost",
      "alerting",
      "--exchange",
      "alerts",
      "--key",
      "error.all",
    );
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [
      "alerts.dingtalk",
      "alerts.email",
      "alerts.sms",
      "alerts.wechat",
      "alerts.wecom",
    ]);
  });

  it("prints nothing when a message reaches no queue", () => {
    const f = file(
      "none.yaml",
      "config:\n  warren:environment: dev\n  warren:topology:\n    vhosts: [{name: v}]\n    exchanges: [{name: x, vhost: v, type: direct}]\n",
    );
    const r = cli("route", "--file", f, "--vhost", "v", "--exchange", "x", "--key", "k");
    assert.deepEqual([r.code, r.out], [0, []]);
  });

  it("routes headers with typed values", () => {
    const f = file(
      "headers.yaml",
      [
        "config:",
        "  warren:environment: dev",
        "  warren:topology:",
        "    vhosts: [{name: v}]",
        "    exchanges: [{name: h, vhost: v, type: headers}]",
        "    queues: [{name: ops, vhost: v}, {name: p1, vhost: v}]",
        "    bindings:",
        "      - {vhost: v, source: h, destination: ops, arguments: {x-match: any, team: ops}}",
        "      - {vhost: v, source: h, destination: p1, arguments: {x-match: all, priority: 1}}",
      ].join("\n"),
    );
    assert.deepEqual(
      cli(
        "route",
        "--file",
        f,
        "--vhost",
        "v",
        "--exchange",
        "h",
        "--key",
        "",
        "--header",
        "team=ops",
        "--header",
        "priority=1",
      ).out,
      ["ops", "p1"],
    );
    assert.deepEqual(
      cli(
        "route",
        "--file",
        f,
        "--vhost",
        "v",
        "--exchange",
        "h",
        "--key",
        "",
        "--header",
        "priority=2",
      ).out,
      [],
    );
  });

  it("fails on an unknown vhost or exchange", () => {
    const r = cli(
      "route",
      "--stack",
      "dev",
      "--vhost",
      "alerting",
      "--exchange",
      "alertz",
      "--key",
      "x",
    );
    assert.deepEqual(
      [r.code, r.err],
      [1, ['warren: exchange "alertz" is not declared in vhost "alerting"']],
    );
    assert.deepEqual(
      cli("route", "--stack", "dev", "--vhost", "nope", "--exchange", "alerts", "--key", "x").err,
      ['warren: vhost "nope" is not declared'],
    );
  });

  it("requires --vhost, --exchange and --key", () => {
    assert.deepEqual(cli("route", "--stack", "dev", "--vhost", "alerting").err, [
      "warren: route needs --exchange",
    ]);
  });
});

describe("warren routes", () => {
  it("prints the alerting matrix", () => {
    const r = cli("routes", "--stack", "dev");
    assert.equal(r.code, 0);
    assert.equal(r.out[0], "severity  wechat  wecom  dingtalk  email  sms  phone");
    assert.equal(r.out[4], "critical  x       x      x         x      x    x");
  });
});

describe("the installed command", () => {
  it("runs as npx warren and exits 1 on an invalid stack", () => {
    const bad = file("Pulumi.bad.yaml", "config:\n  warren:environment: qa\n");
    const r = spawnSync("npx", ["--no-install", "warren", "validate", "--file", bad], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /warren:environment: must be one of "dev", "staging", "prod", got "qa"/);
  });
});
