// One outbound HTTP POST with a timeout covering the whole exchange (connect, send, response
// body), and the classification shared by every HTTP adapter: 2xx accepted; 408, 429 and 5xx
// transient; other 4xx permanent (README "Retries and parking").
import * as http from "node:http";
import * as https from "node:https";
import type { Outcome } from "../decide";

export interface HttpReply {
  readonly status: number;
  readonly text: string;
}

export type PostResult =
  | { readonly ok: true; readonly reply: HttpReply }
  | { readonly ok: false; readonly outcome: Outcome };

/** Short, single-line excerpt of a reply body for reasons. */
export function excerpt(text: string, max = 200): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

// node:http rather than fetch: fetch's web streams, abort signals and per-request objects cost
// several times more CPU per alert (measured: bench/dispatcher.bench.ts), and the dispatcher
// needs none of them. Keep-alive agents reuse connections to the webhook or gateway.
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64 };
const agents = { http: new http.Agent(AGENT_OPTIONS), https: new https.Agent(AGENT_OPTIONS) };

/** Replies are read up to this size; webhooks answer with a few bytes of JSON. */
const MAX_REPLY_BYTES = 64 * 1024;

/** Never throws: network errors and timeouts are transient outcomes naming `what`. */
export function post(
  url: URL,
  body: string,
  opts: {
    readonly timeoutMs: number;
    readonly what: string;
    readonly headers?: Record<string, string>;
  },
): Promise<PostResult> {
  return new Promise<PostResult>((resolve) => {
    let done = false;
    const finish = (r: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const failed = (e: Error & { code?: string }) =>
      finish({
        ok: false,
        outcome: {
          kind: "transient",
          reason: `${opts.what}: request failed: ${e.code ?? e.message}`,
        },
      });
    const payload = Buffer.from(body, "utf8");
    const secure = url.protocol === "https:";
    // A redirect is not followed (node:http never does): a webhook that redirects is misconfigured.
    const req = (secure ? https : http).request(
      url,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": payload.length,
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size >= MAX_REPLY_BYTES) return;
          chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          finish({
            ok: true,
            reply: { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") },
          }),
        );
        res.on("error", failed);
      },
    );
    // The timeout covers the whole exchange: connect, send, and the reply body.
    const timer = setTimeout(() => {
      finish({
        ok: false,
        outcome: {
          kind: "transient",
          reason: `${opts.what}: no answer within ${opts.timeoutMs}ms`,
        },
      });
      req.destroy();
    }, opts.timeoutMs);
    req.on("error", failed);
    req.end(payload);
  });
}

/** The outcome for a reply status; undefined for 2xx (the caller then checks the body). */
export function classifyStatus(reply: HttpReply, what: string): Outcome | undefined {
  const s = reply.status;
  if (s >= 200 && s < 300) return undefined;
  const reason = `${what}: HTTP ${s}${reply.text ? ` ${excerpt(reply.text)}` : ""}`;
  if (s === 408 || s === 429 || s >= 500) return { kind: "transient", reason };
  if (s >= 400) return { kind: "permanent", reason };
  // 1xx/3xx: a redirect (not followed) or something stranger: the configuration needs fixing.
  return { kind: "permanent", reason: `${reason} (unexpected; check the URL)` };
}

/** Parses the `{errcode, errmsg}` reply of the WeCom and DingTalk robots. */
export function robotReply(reply: HttpReply): { errcode: number; errmsg: string } | undefined {
  try {
    const j = JSON.parse(reply.text) as { errcode?: unknown; errmsg?: unknown };
    if (typeof j.errcode !== "number") return undefined;
    return { errcode: j.errcode, errmsg: typeof j.errmsg === "string" ? j.errmsg : "" };
  } catch {
    return undefined;
  }
}
