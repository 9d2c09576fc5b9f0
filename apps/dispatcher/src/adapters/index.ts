// The adapter for the configured channel kind.
import type { Config } from "../config";
import { dingtalkAdapter } from "./dingtalk";
import { emailAdapter } from "./email";
import { gatewayAdapter } from "./gateway";
import type { Adapter } from "./types";
import { wecomAdapter } from "./wecom";

export type { Adapter } from "./types";

export function createAdapter(config: Config): Adapter {
  const t = config.target;
  const timeoutMs = config.targetTimeoutMs;
  switch (t.kind) {
    case "wecom":
      return wecomAdapter({ webhookUrl: t.webhookUrl, timeoutMs });
    case "dingtalk":
      return dingtalkAdapter({ webhookUrl: t.webhookUrl, secret: t.secret, timeoutMs });
    case "wechat":
    case "sms":
    case "phone":
      return gatewayAdapter({
        kind: t.kind,
        url: t.url,
        template: t.template,
        token: t.token,
        timeoutMs,
      });
    case "email":
      return emailAdapter({
        ...t,
        timeoutMs,
        maxConnections: Math.min(5, config.prefetch * config.concurrency),
      });
  }
}
