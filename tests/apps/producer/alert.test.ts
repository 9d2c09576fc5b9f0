// The producer's pure parts: completing and checking alerts (the dispatcher's parser accepts
// every alert the producer would send), options, node URLs, which broker errors are refusals.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseAlert } from "../../../apps/dispatcher/src/schema";
import { type AlertRules, prepareAlert } from "../../../apps/producer/src/alert";
import { refusalOf } from "../../../apps/producer/src/errors";
import { Fifo } from "../../../apps/producer/src/fifo";
import { resolveOptions } from "../../../apps/producer/src/options";
import { AlertProducer } from "../../../apps/producer/src/producer";
import { parseNodeUrl, redactUrl } from "../../../apps/producer/src/urls";

const rules: AlertRules = {
  severities: ["info", "warning", "error", "critical"],
  source: "billing",
};
const now = () => new Date("2024-05-01T12:00:00.000Z");

describe("prepareAlert", () => {
  it("fills in what the dispatcher requires and the caller may leave out", () => {
    const p = prepareAlert(
      { id: "a-1", severity: "critical", title: "Disk full" },
      undefined,
      rules,
      now,
    );
    assert.ok(p.ok);
    assert.equal(p.routingKey, "critical.all");
    assert.deepEqual(JSON.parse(p.content.toString()), {
      id: "a-1",
      severity: "critical",
      title: "Disk full",
      body: "",
      source: "billing",
      labels: {},
      timestamp: "2024-05-01T12:00:00.000Z",
    });
  });

  it("keeps what the caller gave, and addresses one channel", () => {
    const a = {
      id: "a-2",
      severity: "info",
      title: "t",
      body: "b",
      source: "s",
      labels: { k: "v" },
      timestamp: "2024-05-01T20:00:00+08:00",
    };
    const p = prepareAlert(a, "email", rules, now);
    assert.ok(p.ok);
    assert.equal(p.routingKey, "info.email");
    assert.deepEqual(p.alert, a);
    const d = prepareAlert(
      { ...a, timestamp: new Date("2024-05-01T00:00:00Z") },
      "all",
      rules,
      now,
    );
    assert.ok(d.ok);
    assert.equal(d.alert.timestamp, "2024-05-01T00:00:00.000Z");
    assert.equal(d.routingKey, "info.all");
  });

  it("names every problem: severity, channel, id length, and the dispatcher's own checks", () => {
    const p = prepareAlert(
      {
        id: "é".repeat(128),
        severity: "fatal",
        title: "",
        timestamp: "yesterday",
        extra: 1,
      } as never,
      "Phone",
      rules,
      now,
    );
    assert.deepEqual(p, {
      ok: false,
      reason:
        'invalid alert: severity: must be one of info, warning, error, critical, got "fatal"; id: must be at most 255 bytes in UTF-8 (it is the AMQP message-id); channel: must be lower-case letters, digits and dashes, starting with a letter, got "Phone"; title: must not be empty; timestamp: must be an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z; extra: unknown field',
    });
    assert.deepEqual(
      prepareAlert(
        { id: "x", severity: "info", title: "t" },
        "pager",
        { ...rules, channels: ["sms", "email"] },
        now,
      ),
      {
        ok: false,
        reason: 'invalid alert: channel: must be one of all, sms, email, got "pager"',
      },
    );
    assert.deepEqual(
      prepareAlert(
        { id: "x", severity: "info", title: "t", timestamp: new Date(Number.NaN) },
        undefined,
        rules,
        now,
      ),
      {
        ok: false,
        reason:
          "invalid alert: timestamp: must be an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z",
      },
    );
  });

  it("sends only what the dispatcher's parser accepts, byte for byte", () => {
    const text = fc.string({ maxLength: 40, unit: "grapheme" });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 60 }),
          severity: fc.constantFrom(...rules.severities),
          title: fc.string({ minLength: 1, maxLength: 60 }),
        }),
        fc.record(
          {
            body: text,
            source: fc.string({ minLength: 1 }),
            labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), text),
          },
          { requiredKeys: [] },
        ),
        (required, optional) => {
          const p = prepareAlert({ ...required, ...optional }, undefined, rules, now);
          if (!p.ok) return; // refused up front: nothing sent
          const parsed = parseAlert(p.content);
          assert.ok(parsed.ok, parsed.ok ? "" : parsed.reason);
          assert.deepEqual(parsed.alert, p.alert);
          assert.equal(parsed.alert.id, required.id);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("producer options", () => {
  it("applies the documented defaults", () => {
    const o = resolveOptions({ urls: ["amqp://u:p@127.0.0.1/alerting"], random: () => 0.99 });
    assert.equal(o.exchange, "alerts");
    assert.equal(o.startIndex, 0);
    assert.equal(o.confirmTimeoutMs, 10_000);
    assert.equal(o.publishTimeoutMs, 60_000);
    assert.equal(o.connectTimeoutMs, 10_000);
    assert.equal(o.maxInFlight, 1_000);
    assert.deepEqual(o.severities, ["info", "warning", "error", "critical"]);
    assert.equal(o.nodes[0].connect.heartbeat, 10);
    assert.match(o.connectionName, /^warren-producer \S+ \d+\/[0-9a-f]{6}$/);
    assert.equal(
      resolveOptions({ urls: ["amqp://u@a", "amqp://u@b", "amqp://u@c"], random: () => 0.7 })
        .startIndex,
      2,
    );
  });

  it("reports every bad option at once, without printing a password", () => {
    assert.throws(
      () =>
        new AlertProducer({
          urls: ["http://u:hunter2@h/", "amqp://h/v", "amqp://u:hunter2@h/v?heartbeat=5"],
          startIndex: 3,
          publishTimeoutMs: 0,
          severities: ["Bad"],
          channels: ["all"],
        }),
      (e: Error) => {
        assert.equal(
          e.message,
          'invalid producer options: urls[0]: http://u@h: must be amqp:// or amqps://; urls[1]: amqp://h/v: no user (give it in the URL or as credentials.username); urls[2]: amqp://u@h/v?heartbeat=5: query parameters are not supported (use the producer\'s options); startIndex: must be an index into urls (0 to 2), got 3; severities: "Bad" is not lower-case letters, digits and dashes; channels: "all" is not a channel name (lower-case letters, digits and dashes; not "all"); publishTimeoutMs: must be an integer of at least 1, got 0',
        );
        assert.ok(!e.message.includes("hunter2"));
        return true;
      },
    );
    assert.throws(
      () => new AlertProducer({ urls: [] }),
      /urls: must list at least one amqp:\/\/ or amqps:\/\/ URL/,
    );
  });
});

describe("node URLs", () => {
  it("parses user, password, port and vhost, and hides the password", () => {
    assert.deepEqual(
      parseNodeUrl("amqps://alerts-producer:p%40ss@rabbit-0.example:5671/alerting", 10),
      {
        connect: {
          protocol: "amqps",
          hostname: "rabbit-0.example",
          port: 5671,
          username: "alerts-producer",
          password: "p@ss",
          heartbeat: 10,
          vhost: "alerting",
        },
        display: "amqps://alerts-producer@rabbit-0.example:5671/alerting",
      },
    );
    const n = parseNodeUrl("amqp://[::1]/%2F", 0, { username: "u", password: "from-file" });
    assert.deepEqual(n.connect, {
      protocol: "amqp",
      hostname: "::1",
      port: 5672,
      username: "u",
      password: "from-file",
      heartbeat: 0,
      vhost: "%2F",
    });
    assert.equal(n.display, "amqp://u@[::1]/%2F");
    assert.equal(parseNodeUrl("amqp://u@h", 10).connect.vhost, "/");
    assert.equal(redactUrl("amqp://u:secret@h:5672/v"), "amqp://u@h:5672/v");
    assert.equal(redactUrl("not a url u:secret@h"), "not a url u:secret@h");
    assert.equal(redactUrl("amqp//u:secret@h"), "amqp//u@h");
  });
});

describe("refusals", () => {
  const closeError = (code: number, text: string) =>
    Object.assign(new Error(`Channel closed by server: ${code} (X) with message "${text}"`), {
      code,
    });
  it("tells configuration errors from transient ones", () => {
    assert.deepEqual(
      refusalOf(
        closeError(
          403,
          "ACCESS_REFUSED - access to topic 'info.sms' in exchange 'alerts' in vhost 'alerting' refused for user 'p'",
        ),
      ),
      {
        message: `Channel closed by server: 403 (X) with message "ACCESS_REFUSED - access to topic 'info.sms' in exchange 'alerts' in vhost 'alerting' refused for user 'p'"`,
        routingKey: "info.sms",
      },
    );
    assert.equal(
      refusalOf(closeError(403, "ACCESS_REFUSED - write access to exchange 'alerts' refused"))
        ?.routingKey,
      undefined,
    );
    assert.ok(refusalOf(closeError(404, "NOT_FOUND - no exchange 'alerts' in vhost 'alerting'")));
    assert.ok(
      refusalOf(
        new Error(
          'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
        ),
      ),
    );
    assert.ok(
      refusalOf(
        new Error(
          'Connection closed: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost alerting not found"',
        ),
      ),
    );
    assert.equal(refusalOf(closeError(404, "NOT_FOUND - no queue 'q'")), undefined);
    assert.equal(
      refusalOf(
        Object.assign(new Error("Connection closed: 320 (CONNECTION-FORCED)"), { code: 320 }),
      ),
      undefined,
    );
    assert.equal(refusalOf(new Error("connect ECONNREFUSED 127.0.0.1:5672")), undefined);
    assert.equal(refusalOf("not an error"), undefined);
  });
});

describe("Fifo", () => {
  it("takes in order, puts retries first, and skips items that left another way", () => {
    const gone = new Set<number>();
    const q = new Fifo<number>((n) => !gone.has(n));
    for (let i = 0; i < 3000; i++) q.push(i);
    const taken: number[] = [];
    for (let i = 0; i < 2000; i++) taken.push(q.shift()!);
    assert.deepEqual(
      taken,
      Array.from({ length: 2000 }, (_, i) => i),
    );
    q.pushFront([7, 8]);
    gone.add(2000);
    q.forget();
    assert.equal(q.length, 1001);
    assert.deepEqual([q.shift(), q.shift(), q.shift()], [7, 8, 2001]);
  });
});
