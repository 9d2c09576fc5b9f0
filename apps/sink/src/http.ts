// The sink's HTTP side: webhooks and gateway calls (POST /hook/<channel>), the record, and the
// controls tests use. No client can take it down: malformed requests, resets, aborted and
// oversized bodies each end that one request, logged.
import * as http from "node:http";
import type { Socket } from "node:net";
import { type Outcome, type Sink, handleCall } from "./calls";
import { log } from "./log";

const HOOK = /^\/hook\/([a-z][a-z0-9-]*)$/;
const MAX_MS = 3_600_000;
const MAX_COUNT = 1_000_000;

class BadRequest extends Error {}

type Route = (sink: Sink, url: URL) => [number, unknown];

const ROUTES: Record<string, Route> = {
  "GET /healthz": () => [200, { ok: true }],
  "GET /deliveries": (sink, url) => {
    const detail = url.searchParams.get("detail") === "1";
    return [200, detail ? sink.journal.detail() : sink.journal.ids()];
  },
  "GET /status": (sink) => [200, status(sink)],
  "POST /control/fail": (sink, url) => {
    sink.faults.setFail(intParam(url, "count", MAX_COUNT) ?? 0, intParam(url, "ms", MAX_MS) ?? 0);
    return [200, sink.faults.state()];
  },
  "POST /control/slow": (sink, url) => {
    const ms = intParam(url, "ms", MAX_MS);
    if (ms === undefined) throw new BadRequest("ms is required");
    sink.faults.setSlow(ms, intParam(url, "count", MAX_COUNT) ?? 1);
    return [200, sink.faults.state()];
  },
  "POST /control/reset": (sink) => {
    sink.journal.truncate();
    sink.faults.clear();
    return [200, { ok: true }];
  },
  "POST /control/reset-starts": (sink) => {
    sink.journal.resetStarts();
    return [200, status(sink)];
  },
};

function status(sink: Sink) {
  const { starts, count } = sink.journal;
  const startedAt = sink.startedAt.toISOString();
  return { starts, restarts: starts - 1, deliveries: count, startedAt };
}

/** A non-negative integer query parameter up to `max`, or undefined when absent. */
function intParam(url: URL, name: string, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= max)) {
    throw new BadRequest(`${name} must be an integer from 0 to ${max}, not "${raw}"`);
  }
  return n;
}

function reply(res: http.ServerResponse, status: number, json: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(json));
}

export function createHttpServer(sink: Sink, maxBodyBytes: number): http.Server {
  const server = http.createServer((req, res) => {
    req.on("error", (err) => log("http.request-error", { url: req.url, err }));
    res.on("error", (err) => log("http.response-error", { url: req.url, err }));
    try {
      route(sink, maxBodyBytes, req, res);
    } catch (err) {
      if (err instanceof BadRequest) return reply(res, 400, { error: err.message });
      // This request failed (e.g. the data folder refused a truncate): say so, keep serving.
      log("http.handler-failed", { url: req.url, err });
      reply(res, 500, { error: String(err) });
    }
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    log("http.client-error", { err });
    // A parse error can still be answered; a reset or closed socket cannot.
    if (err.code !== "ECONNRESET" && socket.writable && !socket.destroyed) {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
    socket.destroy();
  });
  return server;
}

function route(sink: Sink, maxBody: number, req: http.IncomingMessage, res: http.ServerResponse) {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://sink");
  } catch {
    throw new BadRequest(`malformed URL: ${JSON.stringify(req.url)}`);
  }
  const hook = HOOK.exec(url.pathname);
  if (req.method === "POST" && hook) return readHook(sink, hook[1], maxBody, req, res);
  const handler = ROUTES[`${req.method ?? ""} ${url.pathname}`];
  if (!handler) return reply(res, 404, { error: "not found" });
  const [status, json] = handler(sink, url);
  reply(res, status, json);
}

/** Reads a webhook body up to `maxBody` bytes (413 beyond it), then hands the call over. */
function readHook(
  sink: Sink,
  channel: string,
  maxBody: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const tooBig = () => {
    log("http.body-too-big", { channel, maxBody });
    // Node reads and discards the rest of the body once the answer is sent, so the client
    // can finish sending and read the 413.
    reply(res, 413, { errcode: 413, errmsg: `body over ${maxBody} bytes` });
  };
  if (Number(req.headers["content-length"] ?? 0) > maxBody) return tooBig();
  const chunks: Buffer[] = [];
  let bytes = 0;
  const onData = (d: Buffer) => {
    bytes += d.length;
    if (bytes <= maxBody) return void chunks.push(d);
    req.off("data", onData);
    req.resume();
    tooBig();
  };
  req.on("data", onData);
  req.on("end", () => {
    if (bytes > maxBody) return;
    const text = Buffer.concat(chunks).toString("utf8");
    handleCall(sink, {
      channel,
      text,
      gone: () => res.destroyed || req.socket.destroyed,
      answer: (outcome) => answerHook(res, outcome),
    });
  });
}

// As WeCom and DingTalk answer: {"errcode": 0} when accepted.
function answerHook(res: http.ServerResponse, outcome: Outcome): void {
  if (outcome.kind === "accepted") return reply(res, 200, { errcode: 0, errmsg: "ok" });
  if (outcome.kind === "refused") {
    return reply(res, 503, { errcode: 503, errmsg: "sink is failing on purpose" });
  }
  if (outcome.kind === "gone") return void res.destroy();
  reply(res, 500, { errcode: 500, errmsg: "sink could not record the call" });
}
