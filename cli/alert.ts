// `warren alert`: publishes an alert (or --count of them) with the producer (apps/producer) and
// prints one line per confirmed alert. Passwords never come from argv, which every local user can
// read (ps, /proc/<pid>/cmdline): WARREN_AMQP_PASSWORD or --password-file.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { durationMs, readAmqpCa } from "../apps/dispatcher/src/env";
import {
  AlertProducer,
  type AlertInput,
  DEFAULT_SEVERITIES,
  PublishError,
  prepareAlert,
  redactUrl,
} from "../apps/producer/src/producer";
import type { Io } from "./io";

export const PASSWORD_ENV = "WARREN_AMQP_PASSWORD";

export const ALERT_USAGE = `usage: warren alert --url amqp://USER@HOST:PORT/VHOST [--url ...] --severity S [--channel C] --title T
                    [--body B] [--source S] [--label k=v ...] [--id ID] [--count N]
                    [--user U] [--password-file PATH] [--ca PATH] [--exchange X] [--timeout DURATION]
  Publishes to the alerts exchange with key <severity>.<channel> (default <severity>.all), persistent
  and confirmed, republishing on the next --url until --timeout (default 60s). The URLs carry no
  password: it comes from ${PASSWORD_ENV} or --password-file (one trailing newline dropped).
  --ca PATH: the CA (PEM) amqps:// nodes' certificates chain to (a cluster with TLS on: stack
  output caCertificate); without it, the system's CAs.
  --count N publishes N alerts, with ids ID-1 … ID-N (default: random ids). Prints
  "confirmed <id> attempts=<n> node=<url>" per alert; exit 0 if every one was confirmed, else 1.`;

const MAX_COUNT = 100_000;

interface Plan {
  readonly urls: string[];
  readonly user: string;
  readonly password: string;
  /** PEM of the CA the nodes' certificates chain to (--ca). */
  readonly ca?: string;
  readonly exchange: string;
  readonly channel?: string;
  readonly timeoutMs?: number;
  readonly alerts: AlertInput[];
}

/** `warren alert ARGS`; `env` is where WARREN_AMQP_PASSWORD is read (tests pass their own). */
export async function alertCommand(
  args: string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = planFrom(args, env);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`warren: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
  if (parsed.kind === "help") {
    io.out(ALERT_USAGE);
    return 0;
  }
  if (parsed.kind === "errors") {
    parsed.errors.forEach((m) => io.err(`warren: alert: ${m}`));
    return 1;
  }
  const plan = parsed.plan;
  let producer: AlertProducer;
  try {
    producer = new AlertProducer({
      urls: plan.urls,
      credentials: { username: plan.user, password: plan.password },
      ...(plan.ca === undefined ? {} : { tls: { ca: [plan.ca] } }),
      exchange: plan.exchange,
      publishTimeoutMs: plan.timeoutMs,
    });
  } catch (e) {
    // The producer's own option checks (a URL with a query string, a bad exchange name, …).
    if (!(e instanceof TypeError)) throw e;
    io.err(`warren: alert: ${e.message}`);
    return 1;
  }
  const outcomes = await Promise.allSettled(
    plan.alerts.map((a) => producer.publish(a, { channel: plan.channel })),
  );
  await producer.close();
  let failed = 0;
  for (const o of outcomes) {
    if (o.status === "fulfilled")
      io.out(`confirmed ${o.value.id} attempts=${o.value.attempts} node=${o.value.url}`);
    else {
      failed++;
      io.err(`warren: ${o.reason instanceof PublishError ? o.reason.message : String(o.reason)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

type Parsed =
  | { readonly kind: "help" }
  | { readonly kind: "errors"; readonly errors: string[] }
  | { readonly kind: "plan"; readonly plan: Plan };

/** The alerts to publish and where, or every problem with the arguments. */
function planFrom(args: string[], env: NodeJS.ProcessEnv): Parsed {
  const { values: v } = parseArgs({
    args,
    options: {
      url: { type: "string", multiple: true },
      user: { type: "string" },
      "password-file": { type: "string" },
      ca: { type: "string" },
      severity: { type: "string" },
      channel: { type: "string" },
      title: { type: "string" },
      body: { type: "string" },
      source: { type: "string" },
      label: { type: "string", multiple: true },
      id: { type: "string" },
      count: { type: "string" },
      exchange: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help) return { kind: "help" };
  const errors: string[] = [];
  const { urls, user, password, ca } = connectionFrom(v, env, errors);
  const { alerts, timeoutMs } = alertsFrom(v, errors);
  if (errors.length) return { kind: "errors", errors };
  return {
    kind: "plan",
    plan: {
      urls,
      user: user!,
      password: password!,
      ...(ca === undefined ? {} : { ca }),
      exchange: v.exchange ?? "alerts",
      channel: v.channel,
      timeoutMs,
      alerts,
    },
  };
}

type Values = Partial<Record<"url" | "label", string[]>> &
  Partial<
    Record<
      | "user"
      | "password-file"
      | "ca"
      | "severity"
      | "channel"
      | "title"
      | "body"
      | "source"
      | "id"
      | "count"
      | "exchange"
      | "timeout",
      string
    >
  >;

/** The URLs, the one user they name and the password (never from argv); problems go to `errors`. */
function connectionFrom(
  v: Values,
  env: NodeJS.ProcessEnv,
  errors: string[],
): { urls: string[]; user?: string; password?: string; ca?: string } {
  const urls = v.url ?? [];
  if (urls.length === 0) errors.push("--url is required (one per node of the cluster)");
  const users = new Set<string>();
  for (const raw of urls) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      errors.push(`--url ${redactUrl(raw)}: not a URL`);
      continue;
    }
    if (u.password) {
      errors.push(
        `--url ${redactUrl(raw)}: must not contain a password (argv is visible to other users); use ${PASSWORD_ENV} or --password-file`,
      );
      continue;
    }
    if (u.protocol !== "amqp:" && u.protocol !== "amqps:")
      errors.push(`--url ${raw}: must be amqp:// or amqps://`);
    if (u.username) users.add(decodeURIComponent(u.username));
  }
  if (v.user !== undefined) users.add(v.user);
  if (users.size > 1)
    errors.push(`the URLs and --user name different users (${[...users].join(", ")}); give one`);
  if (users.size === 0 && urls.length > 0)
    errors.push("no user: give it in the URL (amqp://USER@HOST/VHOST) or with --user");

  const fromEnv = env[PASSWORD_ENV];
  let password: string | undefined;
  if (fromEnv !== undefined && fromEnv !== "" && v["password-file"] !== undefined)
    errors.push(`give the password with ${PASSWORD_ENV} or --password-file, not both`);
  else if (v["password-file"] !== undefined) {
    try {
      password = readFileSync(v["password-file"], "utf8").replace(/\r?\n$/, "");
      if (password === "") errors.push(`--password-file ${v["password-file"]}: is empty`);
    } catch (e) {
      errors.push(`--password-file: cannot read it: ${(e as Error).message}`);
    }
  } else if (fromEnv !== undefined && fromEnv !== "") password = fromEnv;
  else errors.push(`no password: set ${PASSWORD_ENV} or give --password-file`);
  return { urls, user: [...users][0], password, ca: caFrom(v.ca, urls, errors) };
}

/** --ca: a readable PEM certificate, for amqps:// URLs only. */
function caFrom(file: string | undefined, urls: string[], errors: string[]): string | undefined {
  if (file === undefined) return undefined;
  const { pem, problems } = readAmqpCa(file, urls);
  for (const p of problems) errors.push(`--ca: ${p}`);
  return pem;
}

/** The alerts to publish (`--count` copies), checked as the producer would; problems go to `errors`. */
function alertsFrom(v: Values, errors: string[]): { alerts: AlertInput[]; timeoutMs?: number } {
  if (v.severity === undefined)
    errors.push(`--severity is required (${DEFAULT_SEVERITIES.join(", ")})`);
  if (v.title === undefined) errors.push("--title is required");

  const labels: Record<string, string> = {};
  for (const l of v.label ?? []) {
    const i = l.indexOf("=");
    if (i <= 0) errors.push(`--label ${JSON.stringify(l)}: expected name=value`);
    else if (Object.hasOwn(labels, l.slice(0, i)))
      errors.push(`--label ${l.slice(0, i)}: given more than once`);
    else labels[l.slice(0, i)] = l.slice(i + 1);
  }

  let count = 1;
  if (v.count !== undefined) {
    count = /^\d+$/.test(v.count) ? Number(v.count) : NaN;
    if (!(count >= 1 && count <= MAX_COUNT))
      errors.push(
        `--count: must be an integer from 1 to ${MAX_COUNT}, got ${JSON.stringify(v.count)}`,
      );
  }
  let timeoutMs: number | undefined;
  if (v.timeout !== undefined) {
    timeoutMs = durationMs(v.timeout);
    if (timeoutMs === undefined || timeoutMs < 1)
      errors.push(
        `--timeout: must be a duration like 250ms, 10s or 5m, got ${JSON.stringify(v.timeout)}`,
      );
  }

  const alerts: AlertInput[] = [];
  if (v.severity !== undefined && v.title !== undefined && errors.length === 0) {
    const base = {
      severity: v.severity,
      title: v.title,
      body: v.body,
      source: v.source ?? "warren-cli",
      labels,
    };
    for (let i = 1; i <= count; i++)
      alerts.push({
        ...base,
        id: v.id === undefined ? randomUUID() : count === 1 ? v.id : `${v.id}-${i}`,
      });
    // The producer's own checks, now: a bad alert is an argument error, before any connection.
    const checked = prepareAlert(alerts[alerts.length - 1], v.channel, {
      severities: DEFAULT_SEVERITIES,
      source: "warren-cli",
    });
    if (!checked.ok) errors.push(checked.reason);
  }
  return { alerts, timeoutMs };
}
