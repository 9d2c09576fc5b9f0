// DingTalk (钉钉) custom robot webhook: POST {msgtype: "markdown", markdown: {title, text}};
// with a signing secret, `timestamp` and `sign` query parameters: sign = URL-encoded base64 of
// HMAC-SHA256(key = secret, `${timestamp}\n${secret}`). Accepted when errcode is 0.
// https://open.dingtalk.com/document/orgapp/customize-robot-security-settings
import { createHmac } from "node:crypto";
import type { Outcome } from "../decide";
import { headline, markdown, truncateUtf8 } from "../format";
import type { Alert } from "../schema";
import { classifyStatus, excerpt, post, robotReply } from "./http";
import type { Adapter } from "./types";

/** DingTalk limits a message to 20000 bytes; keep the text well inside it. */
export const DINGTALK_MAX_BYTES = 18_000;

/** errcodes worth retrying: 130101 (sending too fast) and -1 (system busy); others are permanent
 * (310000 bad signature or keyword, 300001 bad token, ...). */
const DINGTALK_TRANSIENT = new Set([130101, -1]);

/** The `sign` parameter (before URL encoding) for `timestamp` (ms since the epoch). */
export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}\n${secret}`, "utf8").digest("base64");
}

/** The webhook URL with `timestamp` and `sign` added; URLSearchParams does the URL encoding. */
export function signedUrl(webhookUrl: URL, secret: string | undefined, now: number): URL {
  const u = new URL(webhookUrl);
  if (secret !== undefined) {
    u.searchParams.set("timestamp", String(now));
    u.searchParams.set("sign", dingtalkSign(secret, now));
  }
  return u;
}

export function dingtalkBody(alert: Alert): string {
  return JSON.stringify({
    msgtype: "markdown",
    markdown: { title: headline(alert), text: truncateUtf8(markdown(alert), DINGTALK_MAX_BYTES) },
  });
}

export function dingtalkAdapter(opts: {
  readonly webhookUrl: URL;
  readonly secret?: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}): Adapter {
  const what = "dingtalk webhook";
  const now = opts.now ?? Date.now;
  return {
    async send(alert: Alert): Promise<Outcome> {
      const url = signedUrl(opts.webhookUrl, opts.secret, now());
      const r = await post(url, dingtalkBody(alert), { timeoutMs: opts.timeoutMs, what });
      if (!r.ok) return r.outcome;
      const bad = classifyStatus(r.reply, what);
      if (bad) return bad;
      const body = robotReply(r.reply);
      if (!body)
        return {
          kind: "transient",
          reason: `${what}: reply is not {errcode, errmsg}: ${excerpt(r.reply.text)}`,
        };
      if (body.errcode === 0) return { kind: "delivered" };
      const reason = `${what}: errcode ${body.errcode} ${body.errmsg}`;
      return { kind: DINGTALK_TRANSIENT.has(body.errcode) ? "transient" : "permanent", reason };
    },
    close: async () => {},
  };
}
