// The sink (apps/sink) as its container runs it, a process on loopback ports with a data folder:
// no client takes it down (resets inside SMTP DATA and HTTP bodies, garbage, oversized bodies),
// its record is on disk before a client is answered and survives SIGKILL (a torn last line
// dropped), restarts are counted, reset forgets deliveries but not starts, and the faults tests
// order (fail by count, fail for a while, answer late) do what they say.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { until } from "../../support/wait";
import {
  type Answer,
  chunkedPost,
  cleanUp,
  deliveries,
  hook,
  mail,
  rawHttp,
  RawSmtp,
  request,
  type SinkProcess,
  startSink,
  status,
  tempDataDir,
} from "./support/sink";

const MiB = 1024 * 1024;
const dirs: string[] = [];
after(() => cleanUp(dirs));

/** A sink on a fresh data folder (or `dir`), stopped when the test ends. */
async function fresh(t: TestContext, dir = tempDataDir()): Promise<SinkProcess> {
  dirs.push(dir);
  const sink = await startSink(dir);
  t.after(() => sink.stop("SIGKILL"));
  return sink;
}

/** Stops `sink` with `signal` and starts it again on the same folder and ports. */
async function restart(t: TestContext, sink: SinkProcess, signal: NodeJS.Signals) {
  await sink.stop(signal);
  const next = await startSink(sink.dataDir, sink);
  t.after(() => next.stop("SIGKILL"));
  return next;
}

const reply = (a: Answer) => [a.status, a.json];

/** `channel/id` of every line in the sink's file, as it is on disk right now. */
const onDisk = (sink: SinkProcess) =>
  fs
    .readFileSync(path.join(sink.dataDir, "deliveries.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { channel: string; id: string })
    .map((l) => `${l.channel}/${l.id}`);

type Detail = Record<string, { id: string; t: number }[]>;
const idsOf = (d: Detail) =>
  Object.fromEntries(Object.entries(d).map(([c, ds]) => [c, ds.map((x) => x.id)]));
const detail = async (sink: SinkProcess) =>
  (await request(sink, "GET", "/deliveries?detail=1")).json as Detail;

describe("a client cannot take the sink down", () => {
  it("keeps answering and keeps its record after an SMTP client resets inside DATA", async (t) => {
    const sink = await fresh(t);
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);
    assert.equal(await mail(sink, "m-1"), 250);

    const smtp = await RawSmtp.connect(sink.smtpPort);
    assert.equal(await smtp.command("EHLO test"), 250);
    assert.equal(await smtp.command("MAIL FROM:<warren@example.test>"), 250);
    assert.equal(await smtp.command("RCPT TO:<oncall@example.test>"), 250);
    // DATA and the first part of the message in one segment: once 354 is back, the sink has read
    // all of it, so the reset reaches a socket with nothing unread and surfaces as ECONNRESET
    // (data and RST arriving together may read as a plain end of stream instead).
    assert.equal(await smtp.command("DATA\r\nSubject: torn\r\n\r\nAlert ID: torn-1"), 354);
    smtp.socket.resetAndDestroy();
    // The reset reached the sink inside the transaction (what used to crash it)...
    await sink.logged("smtp.error", "ECONNRESET");

    // ...and it is the same process, with the same record, taking mail.
    assert.equal(await mail(sink, "m-2"), 250);
    assert.deepEqual(await deliveries(sink), { wecom: ["a-1"], email: ["m-1", "m-2"] });
    assert.equal(sink.child.exitCode, null);
    assert.equal((await status(sink)).starts, 1);
  });

  it("survives an HTTP client that resets the connection in the middle of a body", async (t) => {
    const sink = await fresh(t);
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);

    const socket = net.connect(sink.httpPort, "127.0.0.1");
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.write(
      "POST /hook/wecom HTTP/1.1\r\nHost: sink\r\nContent-Type: application/json\r\n" +
        "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
    );
    // 100 Continue: the sink is reading this request's body when the reset comes.
    await until("100 Continue", () => got.startsWith("HTTP/1.1 100 Continue"), 5000, 10);
    socket.write('{"id":"torn-2","text":"');
    socket.resetAndDestroy();
    await sink.logged("http.request-error", "ECONNRESET");

    assert.equal((await hook(sink, "wecom", "a-2")).status, 200);
    assert.deepEqual(await deliveries(sink), { wecom: ["a-1", "a-2"] });
    assert.equal(sink.child.exitCode, null);
    assert.equal((await status(sink)).starts, 1);
  });

  it("answers an unparseable request, a malformed URL and a bad parameter with 400", async (t) => {
    const sink = await fresh(t);
    assert.match(await rawHttp(sink, "GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400 Bad Request\r\n/);
    await sink.logged("http.client-error");
    // `//` is a path Node's HTTP parser takes and the URL parser refuses.
    assert.deepEqual(reply(await request(sink, "GET", "//")), [
      400,
      { error: 'malformed URL: "//"' },
    ]);
    assert.deepEqual(reply(await request(sink, "POST", "/control/fail?count=many")), [
      400,
      { error: 'count must be an integer from 0 to 1000000, not "many"' },
    ]);
    assert.deepEqual(reply(await request(sink, "POST", "/control/slow")), [
      400,
      { error: "ms is required" },
    ]);
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);
    assert.deepEqual(await deliveries(sink), { wecom: ["a-1"] });
  });

  it("refuses bodies over 1 MiB (HTTP 413, SMTP 552) unrecorded; takes 1 MiB", async (t) => {
    const sink = await fresh(t);
    const body = (id: string, bytes: number) => {
      const head = `{"id":"${id}","pad":"`;
      return Buffer.from(head + "x".repeat(bytes - head.length - 2) + '"}');
    };
    // Declared too big (content-length), and found too big while reading (chunked).
    assert.deepEqual(reply(await request(sink, "POST", "/hook/wecom", body("big-1", MiB + 1))), [
      413,
      { errcode: 413, errmsg: "body over 1048576 bytes" },
    ]);
    const chunks = [body("big-2", 600 * 1024), Buffer.alloc(600 * 1024, "x")];
    assert.equal(await chunkedPost(sink, "/hook/wecom", chunks), 413);
    assert.equal(await mail(sink, "big-3", "y".repeat(MiB + 1024)), 552);

    assert.equal((await request(sink, "POST", "/hook/wecom", body("exact-1", MiB))).status, 200);
    assert.deepEqual(await deliveries(sink), { wecom: ["exact-1"] });
  });
});

describe("the record", () => {
  it("is on disk before a client is answered; it survives SIGKILL, a restart", async (t) => {
    let sink = await fresh(t);
    const before = Date.now();
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);
    // Answered, so already in the file: read right away, no waiting.
    assert.deepEqual(onDisk(sink), ["wecom/a-1"]);
    assert.equal(await mail(sink, "m-1"), 250);
    assert.deepEqual(onDisk(sink), ["wecom/a-1", "email/m-1"]);
    assert.equal((await hook(sink, "sms", "s-1")).status, 200);
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);
    const after = Date.now();

    const times = await detail(sink);
    const ids = idsOf(times);
    assert.deepEqual(ids, { wecom: ["a-1", "a-1"], email: ["m-1"], sms: ["s-1"] });
    for (const d of Object.values(times).flat()) {
      assert.ok(d.t >= before && d.t <= after, `t ${d.t} not in [${before}, ${after}]`);
    }

    sink = await restart(t, sink, "SIGKILL");
    assert.deepEqual(await detail(sink), times);
    assert.deepEqual(await deliveries(sink), ids);
    const s = await status(sink);
    assert.deepEqual([s.starts, s.restarts, s.deliveries], [2, 1, 4]);
    assert.ok(Date.parse(s.startedAt) >= after);
  });

  it("drops a torn last line, from the file too, and keeps every line before it", async (t) => {
    const dir = tempDataDir();
    const lines = ['{"t":1,"channel":"wecom","id":"a-1"}', '{"t":2,"channel":"sms","id":"s-1"}'];
    fs.writeFileSync(path.join(dir, "deliveries.jsonl"), `${lines.join("\n")}\n{"t":3,"chan`);
    let sink = await fresh(t, dir);
    assert.deepEqual(await deliveries(sink), { wecom: ["a-1"], sms: ["s-1"] });
    assert.equal((await status(sink)).deliveries, 2);
    assert.ok(sink.logs().some((e) => e.event === "journal.torn-line-dropped"));

    // The next delivery is a line of its own, not the end of the torn one.
    assert.equal((await hook(sink, "wecom", "a-2")).status, 200);
    assert.deepEqual(onDisk(sink), ["wecom/a-1", "sms/s-1", "wecom/a-2"]);
    sink = await restart(t, sink, "SIGKILL");
    assert.deepEqual(await deliveries(sink), { wecom: ["a-1", "a-2"], sms: ["s-1"] });
  });

  it("reset forgets every delivery, on disk too, and clears faults; starts stay", async (t) => {
    let sink = await fresh(t);
    assert.equal((await hook(sink, "wecom", "a-1")).status, 200);
    assert.equal(await mail(sink, "m-1"), 250);
    sink = await restart(t, sink, "SIGKILL");
    assert.equal((await request(sink, "POST", "/control/fail?count=5")).status, 200);
    assert.equal((await request(sink, "POST", "/control/slow?ms=5000&count=5")).status, 200);

    assert.equal((await request(sink, "POST", "/control/reset")).status, 200);
    assert.equal(fs.statSync(path.join(sink.dataDir, "deliveries.jsonl")).size, 0);
    assert.deepEqual(await deliveries(sink), {});
    const s = await status(sink);
    assert.deepEqual([s.starts, s.restarts, s.deliveries], [2, 1, 0]);
    // Neither failed nor slowed any more.
    const next = await hook(sink, "wecom", "after-1");
    assert.equal(next.status, 200);
    assert.ok(next.ms < 5000, `answered in ${next.ms} ms`);

    sink = await restart(t, sink, "SIGTERM");
    assert.deepEqual(await deliveries(sink), { wecom: ["after-1"] });
    assert.equal((await status(sink)).starts, 3);
  });

  it("reset-starts counts from 1 again, so the next restart shows as 1", async (t) => {
    let sink = await fresh(t);
    sink = await restart(t, sink, "SIGKILL");
    sink = await restart(t, sink, "SIGTERM");
    assert.equal((await status(sink)).restarts, 2);
    const reset = await request(sink, "POST", "/control/reset-starts");
    assert.equal(reset.status, 200);
    assert.equal((reset.json as { restarts: number }).restarts, 0);
    assert.equal((await status(sink)).starts, 1);
    sink = await restart(t, sink, "SIGKILL");
    const s = await status(sink);
    assert.deepEqual([s.starts, s.restarts], [2, 1]);
  });

  it("exits 0 on SIGTERM", async (t) => {
    const sink = await fresh(t);
    await sink.stop("SIGTERM");
    assert.equal(sink.child.exitCode, 0);
  });
});

describe("faults on order", () => {
  it("fails the next N calls, HTTP with 503 and SMTP with 451, then accepts again", async (t) => {
    const sink = await fresh(t);
    const set = await request(sink, "POST", "/control/fail?count=3");
    assert.deepEqual(set.json, { failures: 3, failingUntil: null, slow: { ms: 0, count: 0 } });
    assert.deepEqual(reply(await hook(sink, "wecom", "c-1")), [
      503,
      { errcode: 503, errmsg: "sink is failing on purpose" },
    ]);
    assert.equal(await mail(sink, "c-2"), 451);
    assert.equal((await hook(sink, "sms", "c-3")).status, 503);
    assert.equal((await hook(sink, "wecom", "c-4")).status, 200);
    assert.equal(await mail(sink, "c-5"), 250);
    assert.deepEqual(await deliveries(sink), { wecom: ["c-4"], email: ["c-5"] });
  });

  it("fails every call for D ms, then accepts again", async (t) => {
    const sink = await fresh(t);
    const D = 2000;
    const setAt = Date.now();
    assert.equal((await request(sink, "POST", `/control/fail?ms=${D}`)).status, 200);
    const setDone = Date.now();
    type Call = { proto: "http" | "smtp"; sent: number; done: number; code: number; id: string };
    const calls: Call[] = [];
    const ok = (c: Call) => c.code === (c.proto === "smtp" ? 250 : 200);
    await until(
      "a call accepted after the failing period",
      async () => {
        const id = `d-${calls.length}`;
        const proto = calls.length % 2 ? "smtp" : "http";
        const sent = Date.now();
        const code =
          proto === "smtp" ? await mail(sink, id) : (await hook(sink, "wecom", id)).status;
        calls.push({ proto, sent, done: Date.now(), code, id });
        return ok(calls[calls.length - 1]);
      },
      D + 10_000,
      100,
    );

    // Answered before the period could have ended: refused. Sent after it surely ended: accepted.
    const early = calls.filter((c) => c.done < setAt + D);
    assert.deepEqual(
      early.slice(0, 2).map((c) => c.proto),
      ["http", "smtp"],
      "in the period",
    );
    for (const c of early) assert.equal(c.code, c.proto === "smtp" ? 451 : 503, c.id);
    for (const c of calls.filter((c) => c.sent > setDone + D)) assert.ok(ok(c), c.id);
    const accepted = calls[calls.length - 1];
    assert.ok(accepted.done >= setAt + D, `accepted ${accepted.done - setAt} ms after the order`);
    const channel = accepted.proto === "smtp" ? "email" : "wecom";
    assert.deepEqual(await deliveries(sink), { [channel]: [accepted.id] });
  });

  it("answers the next N calls M ms late, HTTP and SMTP, and records them", async (t) => {
    const sink = await fresh(t);
    const M = 1000;
    assert.equal((await request(sink, "POST", `/control/slow?ms=${M}&count=2`)).status, 200);
    const slowHook = await hook(sink, "wecom", "slow-1");
    assert.equal(slowHook.status, 200);
    assert.ok(slowHook.ms >= M - 10, `HTTP answered in ${slowHook.ms} ms`);
    const t0 = performance.now();
    assert.equal(await mail(sink, "slow-2"), 250);
    const smtpMs = performance.now() - t0;
    assert.ok(smtpMs >= M - 10, `SMTP answered in ${smtpMs} ms`);
    const fast = await hook(sink, "wecom", "fast-1");
    assert.ok(fast.status === 200 && fast.ms < M, `third call: ${fast.status} in ${fast.ms} ms`);
    assert.deepEqual(await deliveries(sink), { wecom: ["slow-1", "fast-1"], email: ["slow-2"] });
  });

  it("does not record a slowed call whose client gave up, and records its retry", async (t) => {
    const sink = await fresh(t);
    assert.equal((await request(sink, "POST", "/control/slow?ms=1500&count=1")).status, 200);
    const body = JSON.stringify({ id: "gone-1" });
    const signal = AbortSignal.timeout(200);
    await assert.rejects(fetch(`${sink.url}/hook/wecom`, { method: "POST", body, signal }));
    await sink.logged("call.client-gone");
    assert.deepEqual(await deliveries(sink), {});
    assert.equal((await hook(sink, "wecom", "gone-1")).status, 200);
    assert.deepEqual(await deliveries(sink), { wecom: ["gone-1"] });
  });
});
