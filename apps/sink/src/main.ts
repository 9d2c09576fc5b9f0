// warren's local sink: stands in for every alert target on a dev stack, so alerts can be followed
// end to end without any outside service. HTTP (WARREN_SINK_HTTP_PORT, 8080): POST /hook/<channel>
// takes a webhook or gateway call and answers as WeCom and DingTalk do ({"errcode":0}); SMTP
// (WARREN_SINK_SMTP_PORT, 2525) takes mail for channel "email". GET /deliveries returns the alert
// ids received per channel; POST /control/fail?count=N makes the next N calls fail (HTTP 503 / SMTP
// 451); POST /control/reset forgets everything.
import * as http from "node:http";
import { SMTPServer } from "smtp-server";

const deliveries = new Map<string, string[]>();
let failures = 0;
const ID = /(?:> id: |Alert ID: |"id":")([^"\s\\]+)/;

function record(channel: string, text: string): void {
  const id = ID.exec(text)?.[1] ?? "unknown";
  deliveries.set(channel, [...(deliveries.get(channel) ?? []), id]);
}

function failing(): boolean {
  if (failures <= 0) return false;
  failures--;
  return true;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://sink");
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    const hook = /^\/hook\/([a-z][a-z0-9-]*)$/.exec(url.pathname);
    if (req.method === "POST" && hook) {
      if (failing()) return reply(503, { errcode: 503, errmsg: "sink is failing on purpose" });
      record(hook[1], body);
      return reply(200, { errcode: 0, errmsg: "ok" });
    }
    if (req.method === "GET" && url.pathname === "/deliveries") return reply(200, Object.fromEntries(deliveries));
    if (req.method === "GET" && url.pathname === "/healthz") return reply(200, { ok: true });
    if (req.method === "POST" && url.pathname === "/control/fail") {
      failures = Number(url.searchParams.get("count") ?? "0");
      return reply(200, { failures });
    }
    if (req.method === "POST" && url.pathname === "/control/reset") {
      deliveries.clear();
      failures = 0;
      return reply(200, { ok: true });
    }
    reply(404, { error: "not found" });
  });
});

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  onAuth: (_auth, _session, cb) => cb(null, { user: "sink" }),
  onData(stream, _session, cb) {
    let text = "";
    stream.on("data", (d: Buffer) => (text += d.toString()));
    stream.on("end", () => {
      if (failing()) return cb(Object.assign(new Error("sink is failing on purpose"), { responseCode: 451 }));
      record("email", text);
      cb();
    });
  },
});

server.listen(Number(process.env.WARREN_SINK_HTTP_PORT ?? 8080));
smtp.listen(Number(process.env.WARREN_SINK_SMTP_PORT ?? 2525));
for (const sig of ["SIGTERM", "SIGINT"] as const)
  process.on(sig, () => {
    server.close();
    smtp.close(() => process.exit(0));
  });
