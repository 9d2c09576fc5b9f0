// The alert schema, gateway payload templates, and log redaction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { truncateUtf8 } from "../../../apps/dispatcher/src/format";
import { Redactor, createLogger } from "../../../apps/dispatcher/src/log";
import { parseAlert } from "../../../apps/dispatcher/src/schema";
import { compileTemplate } from "../../../apps/dispatcher/src/template";
import { alert } from "./support/fixtures";

const parse = (v: unknown) =>
  parseAlert(Buffer.from(typeof v === "string" ? v : JSON.stringify(v)));

describe("alert schema", () => {
  it("accepts a complete alert as it is", () => {
    assert.deepEqual(parse(alert()), { ok: true, alert: alert() });
    assert.deepEqual(
      parse(alert({ body: "", labels: {}, timestamp: "2024-05-01T20:00:00.123+08:00" })).ok,
      true,
    );
  });

  it("refuses bodies that are not UTF-8 JSON", () => {
    assert.deepEqual(parseAlert(Buffer.from([0xff, 0xfe, 0x7b])), {
      ok: false,
      reason: "invalid alert: not UTF-8 JSON (The encoded data was not valid for encoding utf-8)",
    });
    const r = parse("not json");
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.reason, /^invalid alert: not UTF-8 JSON \(Unexpected token/);
  });

  it("names every missing, mistyped and unknown field", () => {
    const { id: _id, ...noId } = alert();
    assert.deepEqual(parse({ ...noId, severity: 3, labels: { host: 1 }, extra: true }), {
      ok: false,
      reason:
        "invalid alert: id: Required; severity: Expected string, received number; labels.host: Expected string, received number; extra: unknown field",
    });
    assert.deepEqual(parse([alert()]), {
      ok: false,
      reason: "invalid alert: (message): Expected object, received array",
    });
  });

  it("requires an ISO 8601 timestamp with a zone", () => {
    for (const timestamp of ["2024-05-01T12:00:00", "2024-05-01", "yesterday", "1714564800"])
      assert.deepEqual(
        parse(alert({ timestamp })),
        {
          ok: false,
          reason:
            "invalid alert: timestamp: must be an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z",
        },
        timestamp,
      );
  });

  it("refuses empty ids and titles", () => {
    assert.deepEqual(parse(alert({ id: "", title: "" })), {
      ok: false,
      reason: "invalid alert: id: must not be empty; title: must not be empty",
    });
  });
});

describe("gateway templates", () => {
  it("fills placeholders with JSON-escaped values and labels as an object", () => {
    const c = compileTemplate(
      '{"to":["+8613800000000"],"msg":"{{headline}}","host":"{{labels.host}}","none":"{{labels.nope}}","all":{{labels}},"t":"{{ timestamp }}"}',
    );
    assert.equal(c.ok, true);
    if (!c.ok) return;
    const a = alert({ title: 'Disk "full"\nnow', labels: { host: "db\\1" } });
    assert.deepEqual(JSON.parse(c.template.render(a)), {
      to: ["+8613800000000"],
      msg: '[CRITICAL] Disk "full"\nnow',
      host: "db\\1",
      none: "",
      all: { host: "db\\1" },
      t: "2024-05-01T12:00:00Z",
    });
  });

  it("does not read label names off the object prototype", () => {
    const c = compileTemplate('{"x":"{{labels.constructor}}"}');
    if (!c.ok) return assert.fail(c.errors.join());
    assert.equal(c.template.render(alert()), '{"x":""}');
  });

  it("renders valid JSON that round-trips any field values (property)", () => {
    const c = compileTemplate(
      '{"id":"{{id}}","title":"{{title}}","body":"{{body}}","text":"{{text}}","l":{{labels}}}',
    );
    if (!c.ok) return assert.fail(c.errors.join());
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== "__proto__"),
          fc.string(),
        ),
        (title, body, labels) => {
          const a = alert({ title, body, labels });
          const out = JSON.parse(c.template.render(a)) as Record<string, unknown>;
          return (
            out.title === title &&
            out.body === body &&
            out.id === a.id &&
            JSON.stringify(out.l) === JSON.stringify(labels)
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("formatting", () => {
  it("cuts text to a byte budget on a character boundary", () => {
    assert.equal(truncateUtf8("short", 10), "short");
    const cut = truncateUtf8("告警".repeat(10), 16);
    assert.equal(cut, "告警告警\n…");
    assert.ok(Buffer.byteLength(cut) <= 16);
  });
});

describe("log redaction", () => {
  it("never writes a registered secret, raw, URL-encoded or inside a URL", () => {
    const lines: string[] = [];
    const redactor = new Redactor()
      .addUrl("amqp://consumer:p%40ss-w0rd@rabbit:5672/alerting")
      .add("tok-123456");
    const log = createLogger({ write: (l) => void lines.push(l), redactor });
    log.error("connect failed", {
      error: new Error(
        "auth p@ss-w0rd refused for amqp://consumer:p%40ss-w0rd@rabbit:5672/alerting",
      ),
      token: "Bearer tok-123456",
    });
    const entry = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual(
      [entry.level, entry.msg, entry.error, entry.token],
      [
        "error",
        "connect failed",
        { message: "auth [redacted] refused for [redacted]", name: "Error" },
        "Bearer [redacted]",
      ],
    );
  });

  it("writes one JSON object per line and drops levels below the minimum", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => void lines.push(l) }).child({
      channel: "sms",
    });
    log.info("hidden");
    log.warn("shown", { n: 1 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith("\n") && !lines[0].slice(0, -1).includes("\n"));
    const { time, ...rest } = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(rest, { level: "warn", msg: "shown", channel: "sms", n: 1 });
  });
});
