// WeCom (企业微信) group robot webhook: POST {msgtype: "markdown", markdown: {content}}; accepted
// when the reply is HTTP 200 with errcode 0.
// https://developer.work.weixin.qq.com/document/path/91770
import type { Outcome } from "../decide";
import { markdown, truncateUtf8 } from "../format";
import type { Alert } from "../schema";
import { classifyStatus, excerpt, post, robotReply } from "./http";
import type { Adapter } from "./types";

/** The robot refuses markdown content over 4096 bytes. */
export const WECOM_MAX_BYTES = 4096;

/**
 * errcodes worth retrying: 45009 (rate limit: 20 messages a minute per robot) and -1 (system
 * busy). Any other errcode (93000 invalid webhook key, ...) will not change on
 * a retry: permanent.
 */
const WECOM_TRANSIENT = new Set([45009, -1]);

export function wecomBody(alert: Alert): string {
  return JSON.stringify({
    msgtype: "markdown",
    markdown: { content: truncateUtf8(markdown(alert), WECOM_MAX_BYTES) },
  });
}

export function wecomAdapter(opts: {
  readonly webhookUrl: URL;
  readonly timeoutMs: number;
}): Adapter {
  const what = "wecom webhook";
  return {
    async send(alert: Alert): Promise<Outcome> {
      const r = await post(opts.webhookUrl, wecomBody(alert), { timeoutMs: opts.timeoutMs, what });
      if (!r.ok) return r.outcome;
      const bad = classifyStatus(r.reply, what);
      if (bad) return bad;
      if (r.reply.status !== 200)
        return { kind: "permanent", reason: `${what}: HTTP ${r.reply.status}, expected 200` };
      const body = robotReply(r.reply);
      if (!body)
        return {
          kind: "transient",
          reason: `${what}: reply is not {errcode, errmsg}: ${excerpt(r.reply.text)}`,
        };
      if (body.errcode === 0) return { kind: "delivered" };
      const reason = `${what}: errcode ${body.errcode} ${body.errmsg}`;
      return { kind: WECOM_TRANSIENT.has(body.errcode) ? "transient" : "permanent", reason };
    },
    close: async () => {},
  };
}
