// `warren alert` on a real broker: the installed entry point (bin/cli/warren.js) as a child
// process, with the password in the environment, and in-process with a password file and --count.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { runAsync } from "../../../cli/warren";
import { type Broker, ensureBroker } from "../../support/broker";
import { PROJECT_DIR } from "../../support/program";
import { createTestVhost, type TestVhost } from "./support/vhost";

let broker: Broker;
let v: TestVhost;
const dir = mkdtempSync(path.join(tmpdir(), "warren-alert-cli-it-"));

before(async () => {
  broker = await ensureBroker();
  v = await createTestVhost(broker, "warren-cli-it");
  await v.exchangeWithQueue("alerts", "alerts.sms", ["critical.sms", "critical.all"]);
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await v?.destroy();
  await broker?.stop();
});

function warren(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(PROJECT_DIR, "bin/cli/warren.js"), ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("warren alert on a real broker", () => {
  it("publishes one alert, confirmed, with the password from WARREN_AMQP_PASSWORD", async () => {
    const r = await warren(
      [
        "alert",
        "--url",
        v.urlWithoutPassword,
        "--severity",
        "critical",
        "--channel",
        "sms",
        "--title",
        "Disk full on db-1",
        "--label",
        "host=db-1",
        "--id",
        "cli-1",
      ],
      { WARREN_AMQP_PASSWORD: broker.adminPassword },
    );
    assert.deepEqual(r, {
      code: 0,
      stdout: `confirmed cli-1 attempts=1 node=${v.urlWithoutPassword}\n`,
      stderr: "",
    });
    const [m, ...rest] = await v.take("alerts.sms");
    assert.equal(rest.length, 0);
    assert.equal(m.fields.routingKey, "critical.sms");
    assert.equal(m.properties.messageId, "cli-1");
    const body = JSON.parse(m.content.toString()) as Record<string, unknown>;
    assert.deepEqual(
      { ...body, timestamp: typeof body.timestamp },
      {
        id: "cli-1",
        severity: "critical",
        title: "Disk full on db-1",
        body: "",
        source: "warren-cli",
        labels: { host: "db-1" },
        timestamp: "string",
      },
    );
  });

  it("publishes --count alerts with suffixed ids, the password from --password-file", async () => {
    const pw = path.join(dir, "pw");
    writeFileSync(pw, `${broker.adminPassword}\n`, { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAsync(
      [
        "alert",
        "--url",
        v.urlWithoutPassword,
        "--password-file",
        pw,
        "--severity",
        "critical",
        "--title",
        "t",
        "--id",
        "batch",
        "--count",
        "3",
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      {},
    );
    assert.deepEqual(
      { code, out, err },
      {
        code: 0,
        out: [1, 2, 3].map((i) => `confirmed batch-${i} attempts=1 node=${v.urlWithoutPassword}`),
        err: [],
      },
    );
    assert.deepEqual(
      (await v.take("alerts.sms")).map((m) => m.properties.messageId as string).sort(),
      ["batch-1", "batch-2", "batch-3"],
    );
  });

  it("exits 1 with the broker's refusal for a wrong password", async () => {
    const r = await warren(
      [
        "alert",
        "--url",
        v.urlWithoutPassword,
        "--severity",
        "critical",
        "--title",
        "t",
        "--id",
        "nope",
      ],
      { WARREN_AMQP_PASSWORD: "not-the-password-7f3a" },
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^warren: alert "nope": amqp:\/\/warren-admin@[^ ]+ refused the connection: .*ACCESS-REFUSED/,
    );
    assert.ok(!r.stderr.includes("not-the-password-7f3a"));
  });
});
