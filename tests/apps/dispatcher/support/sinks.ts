// Local stand-ins for the targets: an HTTP server on 127.0.0.1 that records every request and
// answers as the test says (a webhook, a gateway), and an SMTP server from `smtp-server`.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the request arrived. */
  readonly at: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  /** Milliseconds to wait before answering. */
  readonly delayMs?: number;
  /** Never answer (until the sink closes). */
  readonly hang?: boolean;
  /** Answer once this settles. */
  readonly after?: Promise<unknown>;
}

export interface HttpSink {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Resolves once `n` requests have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP sink answering each request with `respond(request, index)`. */
export async function startHttpSink(
  respond: (req: RecordedRequest, index: number) => Reply = () => ({ status: 200, body: "{}" }),
): Promise<HttpSink> {
  const requests: RecordedRequest[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      const index = requests.push(rec) - 1;
      waiters = waiters.filter((w) => (requests.length >= w.n ? (w.resolve(), false) : true));
      const reply = respond(rec, index);
      if (reply.hang) return;
      const answer = () => {
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(reply.body ?? "");
      };
      if (reply.after) void reply.after.then(answer, answer);
      else if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(n, timeoutMs = 20_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`sink: ${requests.length} of ${n} requests after ${timeoutMs}ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly auth?: { username: string; password: string };
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A plain SMTP server on 127.0.0.1 (no STARTTLS: the dispatcher runs with WARREN_SMTP_TLS=none
 * against it). `rcptReply` may refuse a recipient with an SMTP code; `users` turns on AUTH.
 */
export async function startSmtpSink(
  opts: {
    rcptReply?: (address: string) => { code: number; message: string } | undefined;
    users?: Record<string, string>;
  } = {},
): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: opts.users ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    allowInsecureAuth: true,
    authOptional: !opts.users,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.users && opts.users[auth.username ?? ""] === auth.password)
        return cb(null, { user: auth.username });
      return cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const r = opts.rcptReply?.(address.address);
      if (r) return cb(Object.assign(new Error(r.message), { responseCode: r.code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const user = session.user as string | undefined;
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          auth: user ? { username: user, password: opts.users![user] } : undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Headers (unfolded, lower-case names) and body of a raw RFC 5322 message. */
export function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body: raw.slice(split + 4) };
}
