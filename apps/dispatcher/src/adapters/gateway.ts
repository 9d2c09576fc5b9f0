// A configurable HTTP gateway (WeChat, SMS, phone): POST the rendered payload template, with an
// optional bearer token; any 2xx is accepted.
import type { Outcome } from "../decide";
import type { Alert } from "../schema";
import { compileTemplate } from "../template";
import { classifyStatus, post } from "./http";
import type { Adapter } from "./types";

export function gatewayAdapter(opts: {
  readonly kind: string;
  readonly url: URL;
  readonly template: string;
  readonly token?: string;
  readonly timeoutMs: number;
}): Adapter {
  const compiled = compileTemplate(opts.template);
  // The configuration checked the template already; this only guards direct callers.
  if (!compiled.ok) throw new Error(`gateway template: ${compiled.errors.join("; ")}`);
  const what = `${opts.kind} gateway`;
  const headers: Record<string, string> =
    opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {};
  return {
    async send(alert: Alert): Promise<Outcome> {
      const r = await post(opts.url, compiled.template.render(alert), {
        timeoutMs: opts.timeoutMs,
        what,
        headers,
      });
      if (!r.ok) return r.outcome;
      return classifyStatus(r.reply, what) ?? { kind: "delivered" };
    },
    close: async () => {},
  };
}
