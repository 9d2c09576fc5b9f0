// Email over SMTP with nodemailer: one pooled transport; every SMTP step has a timeout.
// Replies 5xx (bad recipient, refused auth) are permanent, 4xx and connection problems transient.
import * as nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import type { SmtpTls } from "../config";
import type { Outcome } from "../decide";
import { emailText, headline } from "../format";
import type { Alert } from "../schema";
import type { Adapter } from "./types";

export interface EmailOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTls;
  readonly auth?: { readonly user: string; readonly password: string };
  readonly from: string;
  readonly to: readonly string[];
  readonly timeoutMs: number;
  /** Parallel SMTP connections. @default 5 */
  readonly maxConnections?: number;
}

/** The message nodemailer sends for an alert. */
export function emailMessage(alert: Alert, from: string, to: readonly string[]) {
  return {
    from,
    to: [...to],
    subject: headline(alert),
    text: emailText(alert),
    headers: { "X-Warren-Alert-Id": alert.id, "X-Warren-Severity": alert.severity },
  };
}

export function emailAdapter(opts: EmailOptions): Adapter {
  const options: SMTPPool.Options = {
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    host: opts.host,
    port: opts.port,
    secure: opts.tls === "implicit",
    requireTLS: opts.tls === "starttls",
    ignoreTLS: opts.tls === "none",
    auth: opts.auth && { user: opts.auth.user, pass: opts.auth.password },
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    // nodemailer logs through its own logger when asked; it is not, so nothing leaks.
    logger: false,
  };
  const transport = nodemailer.createTransport(options);
  let closed = false;
  return {
    async send(alert: Alert): Promise<Outcome> {
      try {
        await transport.sendMail(emailMessage(alert, opts.from, opts.to));
        return { kind: "delivered" };
      } catch (e) {
        const err = e as Error & { responseCode?: number; code?: string; response?: string };
        const detail = err.response
          ? err.response.replace(/\s+/g, " ").slice(0, 200)
          : (err.code ?? err.message);
        const reason = `smtp ${opts.host}:${opts.port}: ${detail}`;
        const permanent =
          typeof err.responseCode === "number" && err.responseCode >= 500 && err.responseCode < 600;
        return { kind: permanent ? "permanent" : "transient", reason };
      }
    },
    // The pool's close() is synchronous (a connection busy sending is closed once it is done), so
    // there is nothing to await: the promise is for the Adapter interface.
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        transport.close();
      }
      return Promise.resolve();
    },
  };
}
