// `warren alert` argument errors: every problem reported at once, exit 1, before any connection
// (no broker here), and no password ever taken from, or echoed back to, the command line.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ALERT_USAGE } from "../../../cli/alert";
import { run, runAsync } from "../../../cli/warren";
import { runCliAsync } from "../../support/cli";
import { tempFiles } from "../../support/temp";

const cli = (argv: string[], env?: NodeJS.ProcessEnv) => runCliAsync(["alert", ...argv], env);
const { dir, file } = tempFiles("warren-alert-cli-");

// Port 9 (discard) on loopback: nothing listens, and none of these cases may get as far as connecting.
const URL_OK = "amqp://alerts-producer@127.0.0.1:9/alerting";
const ENV = { WARREN_AMQP_PASSWORD: "s3cret" };
const base = ["--url", URL_OK, "--severity", "critical", "--title", "Disk full"];

describe("warren alert: arguments", () => {
  it("prints its usage for --help", async () => {
    assert.deepEqual(await cli(["--help"]), { code: 0, out: [ALERT_USAGE], err: [] });
  });

  it("lists every missing argument at once", async () => {
    assert.deepEqual(await cli([]), {
      code: 1,
      out: [],
      err: [
        "warren: alert: --url is required (one per node of the cluster)",
        "warren: alert: no password: set WARREN_AMQP_PASSWORD or give --password-file",
        "warren: alert: --severity is required (info, warning, error, critical)",
        "warren: alert: --title is required",
      ],
    });
  });

  it("refuses a password in a URL and never prints it", async () => {
    const r = await cli(
      [
        "--url",
        "amqp://alerts-producer:hunter2@127.0.0.1:9/alerting",
        "--url",
        "amqps://alerts-producer@[::1]:5671/alerting",
        "--severity",
        "critical",
        "--title",
        "t",
      ],
      ENV,
    );
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      "warren: alert: --url amqp://alerts-producer@127.0.0.1:9/alerting: must not contain a password (argv is visible to other users); use WARREN_AMQP_PASSWORD or --password-file",
    ]);
    assert.ok(![...r.out, ...r.err].some((l) => l.includes("hunter2")));
  });

  it("needs exactly one user, from the URLs or --user", async () => {
    assert.deepEqual(
      (
        await cli(
          ["--url", "amqp://127.0.0.1:9/alerting", "--severity", "critical", "--title", "t"],
          ENV,
        )
      ).err,
      ["warren: alert: no user: give it in the URL (amqp://USER@HOST/VHOST) or with --user"],
    );
    assert.deepEqual((await cli([...base, "--user", "someone-else"], ENV)).err, [
      "warren: alert: the URLs and --user name different users (alerts-producer, someone-else); give one",
    ]);
    assert.deepEqual(
      (await cli([...base, "--url", "amqp://other@127.0.0.2:9/alerting"], ENV)).err,
      [
        "warren: alert: the URLs and --user name different users (alerts-producer, other); give one",
      ],
    );
  });

  it("takes the password from the environment or a file, not both, and not from an empty or missing file", async () => {
    const pw = file("pw", "s3cret\n");
    assert.deepEqual((await cli([...base, "--password-file", pw], ENV)).err, [
      "warren: alert: give the password with WARREN_AMQP_PASSWORD or --password-file, not both",
    ]);
    assert.deepEqual((await cli([...base, "--password-file", file("empty", "\n")])).err, [
      `warren: alert: --password-file ${path.join(dir, "empty")}: is empty`,
    ]);
    const missing = await cli([...base, "--password-file", path.join(dir, "nope")]);
    assert.equal(missing.err.length, 1);
    assert.match(missing.err[0], /^warren: alert: --password-file: cannot read it: ENOENT/);
  });

  it("takes a CA only as a readable PEM file, and only for amqps:// URLs", async () => {
    const pem = file("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    assert.deepEqual((await cli([...base, "--ca", pem], ENV)).err, [
      "warren: alert: --ca: is for amqps:// URLs; some of the URLs are amqp://",
    ]);
    const notPem = file("ca.txt", "hello\n");
    assert.deepEqual((await cli([...base, "--ca", notPem], ENV)).err, [
      `warren: alert: --ca: ${JSON.stringify(notPem)} holds no PEM certificate`,
    ]);
    const nope = path.join(dir, "nope.pem");
    assert.deepEqual((await cli([...base, "--ca", nope], ENV)).err, [
      `warren: alert: --ca: cannot read ${JSON.stringify(nope)}: ENOENT`,
    ]);
  });

  it("checks labels, count, timeout and URL schemes", async () => {
    const r = await cli(
      [
        ...base,
        "--url",
        "http://alerts-producer@127.0.0.1:9/",
        "--label",
        "host",
        "--label",
        "a=1",
        "--label",
        "a=2",
        "--count",
        "0",
        "--timeout",
        "soon",
      ],
      ENV,
    );
    assert.deepEqual(r, {
      code: 1,
      out: [],
      err: [
        "warren: alert: --url http://alerts-producer@127.0.0.1:9/: must be amqp:// or amqps://",
        'warren: alert: --label "host": expected name=value',
        "warren: alert: --label a: given more than once",
        'warren: alert: --count: must be an integer from 1 to 100000, got "0"',
        'warren: alert: --timeout: must be a duration like 250ms, 10s or 5m, got "soon"',
      ],
    });
  });

  it("checks the alert with the producer's rules before connecting", async () => {
    assert.deepEqual(
      (
        await cli(
          ["--url", URL_OK, "--severity", "fatal", "--channel", "SMS", "--title", "", "--id", "x"],
          ENV,
        )
      ).err,
      [
        'warren: alert: invalid alert: severity: must be one of info, warning, error, critical, got "fatal"; channel: must be lower-case letters, digits and dashes, starting with a letter, got "SMS"; title: must not be empty',
      ],
    );
    // With --count the ids get a suffix; the longest one must still fit the AMQP message-id.
    assert.deepEqual((await cli([...base, "--id", "x".repeat(253), "--count", "10"], ENV)).err, [
      "warren: alert: invalid alert: id: must be at most 255 bytes in UTF-8 (it is the AMQP message-id)",
    ]);
  });

  it("passes on the producer's own option checks", async () => {
    assert.deepEqual(
      (
        await cli(
          [
            "--url",
            `${URL_OK}?heartbeat=5`,
            "--severity",
            "critical",
            "--title",
            "t",
            "--exchange",
            "",
          ],
          ENV,
        )
      ).err,
      [
        'warren: alert: invalid producer options: urls[0]: amqp://alerts-producer@127.0.0.1:9/alerting?heartbeat=5: query parameters are not supported (use the producer\'s options); exchange: must be a name of 1 to 255 bytes, got ""',
      ],
    );
  });

  it("reports unknown options as the other commands do", async () => {
    const r = await cli([...base, "--pasword", "x"], ENV);
    assert.equal(r.code, 1);
    assert.match(r.err[0], /^warren: Unknown option '--pasword'/);
  });

  it("is listed in the main usage, and only runs through runAsync", async () => {
    const out: string[] = [];
    assert.equal(run(["--help"], { out: (l) => out.push(l), err: () => {} }), 0);
    assert.match(out[0], /\n {2}warren alert {4}--url amqp:\/\/USER@HOST:PORT\/VHOST/);
    assert.throws(
      () => run(["alert"], { out: () => {}, err: () => {} }),
      /asynchronous: call runAsync/,
    );
    const viaAsync: string[] = [];
    assert.equal(
      await runAsync(["routes", "--help"], { out: (l) => viaAsync.push(l), err: () => {} }),
      0,
    );
    assert.deepEqual(viaAsync, out);
  });
});
