// warren's local sink: stands in for every alert target on a dev stack, so alerts can be followed
// end to end without any outside service, and keeps an honest record of what it accepted: on
// disk, before the client is answered, across restarts; no client can crash it.
//
// Environment: WARREN_SINK_HTTP_PORT (8080), WARREN_SINK_SMTP_PORT (2525), WARREN_SINK_HOST (every
// interface), WARREN_SINK_DATA_DIR (/data: deliveries.jsonl, one {"t":ms,"channel","id"} line per
// accepted delivery; `starts`, the number of starts).
//
// Calls (what the faults below apply to):
//   POST /hook/<channel>   a webhook or gateway call; 200 {"errcode":0} as WeCom and DingTalk
//                          answer; body over 1 MiB: 413
//   SMTP DATA              mail, recorded for channel "email"; 250 (over 1 MiB: 552)
// The alert id is taken from the body (`> id: X`, `Alert ID: X` or `"id":"X"`).
//
// Record and controls (HTTP):
//   GET  /deliveries            {channel: [alert ids in arrival order, duplicates kept]}
//   GET  /deliveries?detail=1   {channel: [{id, t}]}, t = ms since the epoch when accepted
//   GET  /status                {starts, restarts (starts - 1), deliveries (total), startedAt}
//   GET  /healthz               {ok: true}
//   POST /control/fail?count=N&ms=D   the next N calls fail, and every call for D ms from now
//                                     (HTTP 503 / SMTP 451); replaces the failure mode
//   POST /control/slow?ms=M&count=N   the next N calls (default 1) are answered M ms late, then
//                                     as usual; a client that left meanwhile is not recorded
//   POST /control/reset         forget every delivery (the file is truncated), clear fail and slow
//   POST /control/reset-starts  count starts from 1 again (so a later restart shows as 1)
//
// Once both ports listen, one line goes to stdout: {"event":"listening","http":P,"smtp":P,...};
// diagnostics go to stderr as JSON lines.
import type * as net from "node:net";
import type { Sink } from "./calls";
import { Faults } from "./faults";
import { createHttpServer } from "./http";
import { Journal } from "./journal";
import { log } from "./log";
import { createSmtpServer } from "./smtp";

const MAX_BODY_BYTES = 1024 * 1024;

interface Config {
  readonly httpPort: number;
  readonly smtpPort: number;
  readonly host: string | undefined;
  readonly dataDir: string;
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  const port = (name: string, fallback: number): number => {
    const raw = env[name] ?? String(fallback);
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n <= 65535)) fatal(`${name} must be a port number (0-65535), not "${raw}"`);
    return n;
  };
  return {
    httpPort: port("WARREN_SINK_HTTP_PORT", 8080),
    smtpPort: port("WARREN_SINK_SMTP_PORT", 2525),
    host: env.WARREN_SINK_HOST === "" ? undefined : env.WARREN_SINK_HOST,
    dataDir: env.WARREN_SINK_DATA_DIR ?? "/data",
  };
}

function fatal(message: string, err?: unknown): never {
  log("fatal", { message, err });
  process.exit(1);
}

/** Listens; an error before listening (port taken) is fatal, one after it is one client's. */
function listen(
  name: string,
  server: NodeJS.EventEmitter,
  start: (ready: () => void) => net.Server,
): Promise<number> {
  return new Promise((resolve) => {
    let listening = false;
    server.on("error", (err: Error) => {
      if (!listening) fatal(`${name} cannot listen`, err);
      log(`${name}.error`, { err });
    });
    const socket = start(() => {
      listening = true;
      resolve((socket.address() as net.AddressInfo).port);
    });
  });
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  let journal: Journal;
  try {
    journal = Journal.open(config.dataDir);
  } catch (err) {
    fatal(`cannot open the record in ${config.dataDir}`, err);
  }
  const sink: Sink = { journal, faults: new Faults(), startedAt: new Date() };
  const web = createHttpServer(sink, MAX_BODY_BYTES);
  const smtp = createSmtpServer(sink, MAX_BODY_BYTES);
  const [httpPort, smtpPort] = await Promise.all([
    listen("http", web, (ready) => web.listen(config.httpPort, config.host, ready)),
    listen("smtp", smtp, (ready) => smtp.listen(config.smtpPort, config.host, ready)),
  ]);
  const { starts, count } = journal;
  const line = { event: "listening", http: httpPort, smtp: smtpPort, starts, deliveries: count };
  process.stdout.write(JSON.stringify(line) + "\n");
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      web.close();
      smtp.close(() => {
        journal.close();
        process.exit(0);
      });
    });
  }
}

main().catch((err: unknown) => fatal("start-up failed", err));
