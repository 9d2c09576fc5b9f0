// Each channel adapter against a local stand-in for its service: the exact request the service
// expects (DingTalk's signature verified by the sink as DingTalk does), and how each kind of
// answer is classified (delivered, transient, permanent).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { dingtalkAdapter } from "../../../apps/dispatcher/src/adapters/dingtalk";
import { emailAdapter } from "../../../apps/dispatcher/src/adapters/email";
import { gatewayAdapter } from "../../../apps/dispatcher/src/adapters/gateway";
import { wecomAdapter } from "../../../apps/dispatcher/src/adapters/wecom";
import { alert } from "./support/fixtures";
import {
  type HttpSink,
  type RecordedRequest,
  type Reply,
  parseMail,
  startHttpSink,
  startSmtpSink,
} from "./support/sinks";

const MARKDOWN = [
  "### [CRITICAL] Disk full on db-1",
  "",
  "/var is at 99%",
  "",
  "> source: prometheus",
  "> labels: host=db-1, team=storage",
  "> time: 2024-05-01T12:00:00Z",
  "> id: a-1",
].join("\n");

/** A sink whose answers the current test sets. */
let answer: (req: RecordedRequest) => Reply = () => ({ status: 200, body: "{}" });
let sink: HttpSink;
before(async () => {
  sink = await startHttpSink((req) => answer(req));
});
after(() => sink.close());
const lastRequest = () => sink.requests[sink.requests.length - 1];

describe("WeCom group robot", () => {
  const send = (timeoutMs = 2000) =>
    wecomAdapter({
      webhookUrl: new URL(`${sink.url}/cgi-bin/webhook/send?key=wecom-key-1`),
      timeoutMs,
    }).send(alert());

  it("posts the alert as markdown to the webhook and counts errcode 0 as delivered", async () => {
    answer = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' });
    assert.deepEqual(await send(), { kind: "delivered" });
    const req = lastRequest();
    assert.deepEqual(
      [req.method, req.url, req.headers["content-type"]],
      ["POST", "/cgi-bin/webhook/send?key=wecom-key-1", "application/json; charset=utf-8"],
    );
    assert.deepEqual(JSON.parse(req.body), {
      msgtype: "markdown",
      markdown: { content: MARKDOWN },
    });
  });

  it("retries the robot's rate limit and parks other errcodes", async () => {
    answer = () => ({ status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' });
    assert.deepEqual(await send(), {
      kind: "transient",
      reason: "wecom webhook: errcode 45009 api freq out of limit",
    });
    answer = () => ({ status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' });
    assert.deepEqual(await send(), {
      kind: "permanent",
      reason: "wecom webhook: errcode 93000 invalid webhook url",
    });
  });

  it("treats a reply without errcode as transient and a hanging robot as a timeout", async () => {
    answer = () => ({ status: 200, body: "<html>proxy</html>" });
    assert.deepEqual(await send(), {
      kind: "transient",
      reason: "wecom webhook: reply is not {errcode, errmsg}: <html>proxy</html>",
    });
    answer = () => ({ status: 200, hang: true });
    assert.deepEqual(await send(300), {
      kind: "transient",
      reason: "wecom webhook: no answer within 300ms",
    });
  });

  it("cuts markdown to the robot's 4096-byte limit", async () => {
    answer = () => ({ status: 200, body: '{"errcode":0}' });
    await wecomAdapter({ webhookUrl: new URL(sink.url), timeoutMs: 2000 }).send(
      alert({ body: "告".repeat(3000) }),
    );
    const content = (JSON.parse(lastRequest().body) as { markdown: { content: string } }).markdown
      .content;
    assert.ok(
      Buffer.byteLength(content) <= 4096 && Buffer.byteLength(content) > 4080,
      `${Buffer.byteLength(content)} bytes`,
    );
    assert.ok(content.endsWith("\n…"));
  });
});

describe("DingTalk robot", () => {
  const SECRET = "SEC0123456789abcdef";
  /** What DingTalk checks: a fresh timestamp and sign = base64(HMAC-SHA256(secret, ts\nsecret)). */
  const verify = (req: RecordedRequest): boolean => {
    const u = new URL(req.url, "http://dingtalk.invalid");
    const ts = u.searchParams.get("timestamp") ?? "";
    const expected = createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64");
    return (
      /^\d{13}$/.test(ts) &&
      Math.abs(Date.now() - Number(ts)) < 3_600_000 &&
      req.url.includes(`&sign=${encodeURIComponent(expected)}`) &&
      u.searchParams.get("sign") === expected
    );
  };
  const dingtalk = (secret: string | undefined) =>
    dingtalkAdapter({
      webhookUrl: new URL(`${sink.url}/robot/send?access_token=ding-token-1`),
      secret,
      timeoutMs: 2000,
    });

  it("signs the request as DingTalk verifies it and posts markdown with a title", async () => {
    answer = (req) =>
      verify(req)
        ? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' }
        : { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' };
    assert.deepEqual(await dingtalk(SECRET).send(alert()), { kind: "delivered" });
    const req = lastRequest();
    assert.equal(verify(req), true);
    assert.match(
      req.url,
      /^\/robot\/send\?access_token=ding-token-1&timestamp=\d{13}&sign=[A-Za-z0-9%]+$/,
    );
    assert.deepEqual(JSON.parse(req.body), {
      msgtype: "markdown",
      markdown: { title: "[CRITICAL] Disk full on db-1", text: MARKDOWN },
    });
  });

  it("parks when DingTalk refuses the signature (a wrong secret)", async () => {
    answer = (req) =>
      verify(req)
        ? { status: 200, body: '{"errcode":0}' }
        : { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' };
    assert.deepEqual(await dingtalk("SECwrong").send(alert()), {
      kind: "permanent",
      reason: "dingtalk webhook: errcode 310000 sign not match",
    });
  });

  it("sends no signature without a secret, and retries 'sending too fast'", async () => {
    answer = () => ({ status: 200, body: '{"errcode":130101,"errmsg":"send too fast"}' });
    assert.deepEqual(await dingtalk(undefined).send(alert()), {
      kind: "transient",
      reason: "dingtalk webhook: errcode 130101 send too fast",
    });
    assert.equal(lastRequest().url, "/robot/send?access_token=ding-token-1");
  });
});

describe("HTTP gateway (WeChat, SMS, phone)", () => {
  const TEMPLATE =
    '{"to":["+8613800000000"],"sign":"ops","content":"{{text}}","sev":"{{severity}}","host":"{{labels.host}}"}';
  const gateway = (token?: string) =>
    gatewayAdapter({
      kind: "sms",
      url: new URL(`${sink.url}/v1/sms`),
      template: TEMPLATE,
      token,
      timeoutMs: 2000,
    });

  it("posts the rendered template with the bearer token", async () => {
    answer = () => ({ status: 202, body: "" });
    assert.deepEqual(await gateway("gw-token-1").send(alert({ title: 'Disk "full"' })), {
      kind: "delivered",
    });
    const req = lastRequest();
    assert.deepEqual(
      [req.method, req.url, req.headers.authorization, req.headers["content-type"]],
      ["POST", "/v1/sms", "Bearer gw-token-1", "application/json; charset=utf-8"],
    );
    assert.equal(
      req.body,
      '{"to":["+8613800000000"],"sign":"ops","content":"[CRITICAL] Disk \\"full\\"\\n/var is at 99%","sev":"critical","host":"db-1"}',
    );
  });

  it("sends no authorization header without a token", async () => {
    answer = () => ({ status: 200 });
    await gateway().send(alert());
    assert.equal(lastRequest().headers.authorization, undefined);
  });

  it("retries 5xx, 408 and 429 and parks other 4xx and redirects", async () => {
    const cases: [number, string][] = [
      [500, "transient"],
      [503, "transient"],
      [408, "transient"],
      [429, "transient"],
      [400, "permanent"],
      [401, "permanent"],
      [404, "permanent"],
      [302, "permanent"],
    ];
    const got: [number, string][] = [];
    for (const [status] of cases) {
      answer = () => ({ status, body: `{"error":"e${status}"}` });
      got.push([status, (await gateway().send(alert())).kind]);
    }
    assert.deepEqual(got, cases);
    answer = () => ({ status: 400, body: '{"error":"bad number"}' });
    assert.deepEqual(await gateway().send(alert()), {
      kind: "permanent",
      reason: 'sms gateway: HTTP 400 {"error":"bad number"}',
    });
  });

  it("treats a refused connection as transient", async () => {
    const closed = await startHttpSink();
    const url = new URL(closed.url);
    await closed.close();
    const r = await gatewayAdapter({
      kind: "phone",
      url,
      template: '{"t":"{{title}}"}',
      timeoutMs: 2000,
    }).send(alert());
    assert.deepEqual(r, {
      kind: "transient",
      reason: "phone gateway: request failed: ECONNREFUSED",
    });
  });
});

describe("email over SMTP", () => {
  it("sends the alert as a plain-text mail to every recipient", async () => {
    const smtp = await startSmtpSink();
    const email = emailAdapter({
      host: "127.0.0.1",
      port: smtp.port,
      tls: "none",
      from: "Warren <alerts@example.com>",
      to: ["ops@example.com", "dba@example.com"],
      timeoutMs: 5000,
    });
    try {
      assert.deepEqual(await email.send(alert()), { kind: "delivered" });
      assert.equal(smtp.mails.length, 1);
      const m = smtp.mails[0];
      assert.deepEqual(
        [m.from, m.to],
        ["alerts@example.com", ["ops@example.com", "dba@example.com"]],
      );
      const { headers, body } = parseMail(m.raw);
      assert.deepEqual(
        [
          headers.from,
          headers.to,
          headers.subject,
          headers["x-warren-alert-id"],
          headers["x-warren-severity"],
          headers["content-type"],
        ],
        [
          "Warren <alerts@example.com>",
          "ops@example.com, dba@example.com",
          "[CRITICAL] Disk full on db-1",
          "a-1",
          "critical",
          "text/plain; charset=utf-8",
        ],
      );
      assert.equal(
        body,
        "[CRITICAL] Disk full on db-1\r\n\r\n/var is at 99%\r\n\r\nSource: prometheus\r\nLabels: host=db-1, team=storage\r\nTime: 2024-05-01T12:00:00Z\r\nAlert ID: a-1\r\n",
      );
    } finally {
      await email.close();
      await smtp.close();
    }
  });

  it("authenticates with the configured user and password", async () => {
    const smtp = await startSmtpSink({ users: { bot: "smtp-pw-1" } });
    const good = emailAdapter({
      host: "127.0.0.1",
      port: smtp.port,
      tls: "none",
      auth: { user: "bot", password: "smtp-pw-1" },
      from: "alerts@example.com",
      to: ["ops@example.com"],
      timeoutMs: 5000,
    });
    const bad = emailAdapter({
      host: "127.0.0.1",
      port: smtp.port,
      tls: "none",
      auth: { user: "bot", password: "wrong" },
      from: "alerts@example.com",
      to: ["ops@example.com"],
      timeoutMs: 5000,
    });
    try {
      assert.deepEqual(await good.send(alert()), { kind: "delivered" });
      assert.deepEqual(smtp.mails[0].auth, { username: "bot", password: "smtp-pw-1" });
      const r = await bad.send(alert());
      assert.equal(r.kind, "permanent");
      assert.match(
        r.kind === "permanent" ? r.reason : "",
        new RegExp(`^smtp 127\\.0\\.0\\.1:${smtp.port}: 535 Invalid username or password`),
      );
    } finally {
      await good.close();
      await bad.close();
      await smtp.close();
    }
  });

  it("parks a refused recipient (5xx) and retries a temporary refusal (4xx)", async () => {
    const smtp = await startSmtpSink({
      rcptReply: (a) =>
        a.startsWith("gone@")
          ? { code: 550, message: "No such user" }
          : a.startsWith("busy@")
            ? { code: 451, message: "Try again later" }
            : undefined,
    });
    const to = (addr: string) =>
      emailAdapter({
        host: "127.0.0.1",
        port: smtp.port,
        tls: "none",
        from: "alerts@example.com",
        to: [addr],
        timeoutMs: 5000,
      });
    const gone = to("gone@example.com");
    const busy = to("busy@example.com");
    try {
      const g = await gone.send(alert());
      const b = await busy.send(alert());
      assert.deepEqual([g.kind, b.kind], ["permanent", "transient"]);
      assert.match(g.kind === "permanent" ? g.reason : "", /: 550 No such user$/);
      assert.match(b.kind === "transient" ? b.reason : "", /: 451 Try again later$/);
      assert.equal(smtp.mails.length, 0);
    } finally {
      await gone.close();
      await busy.close();
      await smtp.close();
    }
  });

  it("retries when the SMTP server does not answer", async () => {
    const smtp = await startSmtpSink();
    const port = smtp.port;
    await smtp.close();
    const email = emailAdapter({
      host: "127.0.0.1",
      port,
      tls: "none",
      from: "alerts@example.com",
      to: ["ops@example.com"],
      timeoutMs: 2000,
    });
    try {
      const r = await email.send(alert());
      assert.equal(r.kind, "transient");
      assert.match(
        r.kind === "transient" ? r.reason : "",
        new RegExp(`^smtp 127\\.0\\.0\\.1:${port}: (ESOCKET|ECONNECTION)$`),
      );
    } finally {
      await email.close();
    }
  });
});
