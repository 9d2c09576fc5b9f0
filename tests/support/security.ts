// The security suite on a running dev stack (issue 16): each case is a real attempt (a connection,
// a login, a publish, a read) or a look at what the stack stores and runs, and returns what it
// saw; the case passes when that is what is expected. Used by tests/e2e/dev-stack.test.ts, which
// prints the table (case, expected, seen) that the README shows.
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import * as tls from "node:tls";
import * as amqp from "amqplib";
import { readStackConfig } from "../../components/config/stack-file";
import { callApi } from "../../components/topology/management";
import { testCa } from "./certs";
import { CHANNELS, type DevStack, VHOST, docker } from "./devstack";
import { PROJECT_DIR } from "./program";

export interface SecurityCase {
  readonly name: string;
  readonly expected: string;
  /** What was seen, in the words of `expected` when all is well. */
  readonly run: (s: DevStack, ctx: SecurityContext) => string | Promise<string>;
}

export interface SecurityContext {
  /** A folder for this run's files (the stranger CA). */
  readonly dir: string;
}

const host = "127.0.0.1";
const amqpPort = (s: DevStack, node = 0) =>
  Number((s.outputs.amqpEndpoints.value as string[])[node].split(":")[1]);
const mgmtPort = (s: DevStack) => Number(new URL(s.outputs.managementUrl.value as string).port);
const creds = (s: DevStack) => s.outputs.credentials.value as Record<string, string>;

/** The error a promise rejects with, or "ok". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return String((e as Error | undefined)?.message ?? e);
  }
}

/** An amqps connection as `user` (the stack's CA trusted) to node 1's published port. */
function connect(s: DevStack, user: string, password = creds(s)[user]) {
  return amqp.connect(s.amqpUrls(user, password)[0], { ...s.amqpTls(), timeout: 10_000 });
}

/** What one channel-level operation gets as `user`: "ok" or the broker's refusal. */
async function asUser(
  s: DevStack,
  user: string,
  op: (ch: amqp.ConfirmChannel) => Promise<unknown>,
): Promise<string> {
  const conn = await connect(s, user);
  try {
    const ch = await conn.createConfirmChannel();
    // A refusal closes the channel; its reason comes as the channel's error, the operation
    // itself only rejects (with "channel closed", or the close frame).
    let reason: string | undefined;
    const closed = new Promise<void>((resolve) => ch.once("close", () => resolve()));
    ch.on("error", (e: Error) => (reason = e.message));
    const r = await outcome(op(ch));
    if (r === "ok") return "ok";
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    const why = reason ?? r;
    return /ACCESS.REFUSED/.test(why) ? "refused" : why;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A named channel-level operation. */
type Step = [string, (ch: amqp.ConfirmChannel) => Promise<unknown>];

/** Each step as `user` on a channel of its own, as "<name>: ok|refused|<error>". */
async function asUserSteps(s: DevStack, user: string, steps: readonly Step[]): Promise<string[]> {
  const seen: string[] = [];
  for (const [what, op] of steps) seen.push(`${what}: ${await asUser(s, user, op)}`);
  return seen;
}

/** Publishes one confirmed message; resolves when confirmed. */
function publish(ch: amqp.ConfirmChannel, exchange: string, key: string) {
  return new Promise<void>((resolve, reject) =>
    ch.publish(exchange, key, Buffer.from("{}"), { persistent: true }, (e) =>
      e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve(),
    ),
  );
}

/** A plain TCP connection's fate from inside the stack's network (a dispatcher container). */
function tcpFromInside(s: DevStack, target: string, port: number): string {
  const probe = `const s=require("net").connect(${port},${JSON.stringify(target)});s.on("connect",()=>{console.log("open");s.destroy()});s.on("error",e=>console.log(e.code))`;
  return docker("exec", s.dispatchers()[0], "node", "-e", probe);
}

/** Every secret the stack holds: passwords, the cookie, the nodes' private keys' base64. */
function secretsOf(s: DevStack): Record<string, string> {
  const dev = readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.dev.yaml") })[
    "warren:consumers"
  ] as { channels: { dingtalk: { target: { secret: string } } } };
  const cookie = docker("exec", s.nodes[0], "cat", "/var/lib/rabbitmq/.erlang.cookie");
  const key = docker("exec", s.nodes[0], "cat", "/etc/rabbitmq/tls/tls.key");
  const out: Record<string, string> = {
    "admin password": s.outputs.adminPassword.value as string,
    "Erlang cookie": cookie,
    "DingTalk signing secret": dev.channels.dingtalk.target.secret,
    // The body of node 1's private key (a line of its base64, without the PEM armour).
    "node 1's private key": key.split("\n")[1],
  };
  for (const [u, p] of Object.entries(creds(s))) out[`${u}'s password`] = p;
  return out;
}

/** Where in a JSON document `needle` occurs: the paths of the strings holding it. */
function pathsOf(text: string, needle: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = (v: unknown, p: string) => {
    if (typeof v === "string") {
      if (v.includes(needle)) out.push(p);
    } else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v))
        walk(x, Array.isArray(v) ? `${p}[${k}]` : `${p}.${k}`);
  };
  walk(doc, "");
  return out.slice(0, 3);
}

/** Which secrets `text` holds in plaintext, and where in it if it is JSON ("none" when none). */
function leaked(s: DevStack, text: string): string {
  const found = Object.entries(secretsOf(s))
    .filter(([, v]) => v && text.includes(v))
    .map(([k, v]) => {
      const at = pathsOf(text, v);
      return at.length ? `${k} (at ${at.join(", ")})` : k;
    });
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) found.push("a PEM private key");
  return found.length ? found.join(", ") : "none";
}

function pulumi(s: DevStack, args: string[]): string {
  return execFileSync("pulumi", [...args, "--stack", s.stack.name, "--non-interactive"], {
    cwd: s.project.dir,
    env: { ...process.env, ...s.project.env },
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
}

const containers = (s: DevStack) =>
  docker("ps", "-a", "--format", "{{.Names}}", "--filter", `name=${s.network}-`)
    .split("\n")
    .filter(Boolean)
    .sort();

export const SECURITY_CASES: readonly SecurityCase[] = [
  {
    name: "plaintext AMQP and HTTP inside the stack's network",
    expected: "5672: ECONNREFUSED, 15672: ECONNREFUSED",
    run: (s) => [5672, 15672].map((p) => `${p}: ${tcpFromInside(s, s.nodes[0], p)}`).join(", "),
  },
  {
    name: "plaintext AMQP and HTTP on the published ports",
    expected: "AMQP: refused, HTTP: refused",
    run: async (s) => {
      const plainAmqp = await outcome(
        amqp.connect(`amqp://alerts-producer:x@${host}:${amqpPort(s)}/${VHOST}`, {
          timeout: 5_000,
        }),
      );
      const plainHttp = await outcome(
        fetch(`http://${host}:${mgmtPort(s)}/api/overview`, { signal: AbortSignal.timeout(5_000) }),
      );
      return `AMQP: ${plainAmqp === "ok" ? "accepted" : "refused"}, HTTP: ${plainHttp === "ok" ? "accepted" : "refused"}`;
    },
  },
  {
    name: "a client certificate from another CA",
    expected: "AMQPS: unknown ca, HTTPS: unknown ca",
    run: async (s, ctx) => {
      const other = testCa(path.join(ctx.dir, "stranger"), "stranger-ca").issue("stranger");
      const ports: [string, number, string][] = [
        ["AMQPS", amqpPort(s), "AMQP\x00\x00\x09\x01"],
        ["HTTPS", mgmtPort(s), "GET /api/overview HTTP/1.0\r\n\r\n"],
      ];
      const seen = await Promise.all(
        ports.map(
          ([what, port, hello]) =>
            new Promise<string>((resolve) => {
              const c = tls.connect({ host, port, ca: s.ca, ...other });
              c.setTimeout(10_000, () => c.destroy(new Error("timeout")));
              c.once("secureConnect", () => c.write(hello));
              c.once("data", () => (c.destroy(), resolve(`${what}: accepted`)));
              c.once("error", (e: Error) =>
                resolve(`${what}: ${/unknown ca/i.test(e.message) ? "unknown ca" : e.message}`),
              );
              c.once("end", () => resolve(`${what}: closed`));
            }),
        ),
      );
      return seen.join(", ");
    },
  },
  {
    name: "a client that does not trust the stack's CA",
    expected: "refuses the node: self-signed certificate in certificate chain",
    run: async (s) => {
      const r = await outcome(amqp.connect(s.amqpUrls("alerts-producer")[0], { timeout: 10_000 }));
      return r === "ok"
        ? "connected"
        : `refuses the node: ${r.replace("self signed", "self-signed")}`;
    },
  },
  {
    name: "guest, over AMQP, the management API and on the node itself",
    expected: "AMQP: refused, management: 401, rabbitmqctl on node 1: refused",
    run: async (s) => {
      const viaAmqp = await outcome(connect(s, "guest", "guest"));
      const viaHttp = await outcome(callApi(s.management("guest", "guest"), "GET", "whoami"));
      let local = "accepted";
      try {
        docker("exec", s.nodes[0], "rabbitmqctl", "authenticate_user", "guest", "guest");
      } catch {
        local = "refused";
      }
      return `AMQP: ${viaAmqp === "ok" ? "accepted" : "refused"}, management: ${/: 401 /.exec(viaHttp) ? "401" : viaHttp}, rabbitmqctl on node 1: ${local}`;
    },
  },
  {
    name: "no anonymous login",
    expected: "AMQP without credentials: refused, management without credentials: 401",
    run: async (s) => {
      const viaAmqp = await outcome(
        amqp.connect(`amqps://${host}:${amqpPort(s)}/${VHOST}`, { ca: [s.ca!], timeout: 10_000 }),
      );
      const r = await fetchNoAuth(s);
      return `AMQP without credentials: ${viaAmqp === "ok" ? "accepted" : "refused"}, management without credentials: ${r}`;
    },
  },
  {
    name: "a consumer user (sms): its own queue only, retry and parked exchanges only, no configure",
    expected:
      "read alerts.sms: ok, read alerts.email: refused, publish alerts.retry sms.5s: ok, publish alerts.retry email.5s: refused, publish alerts: refused, declare a queue: refused",
    run: async (s) => {
      const u = "alerts-consumer-sms";
      const steps: Step[] = [
        ["read alerts.sms", (ch) => ch.get("alerts.sms")],
        ["read alerts.email", (ch) => ch.get("alerts.email")],
        ["publish alerts.retry sms.5s", (ch) => publish(ch, "alerts.retry", "sms.5s")],
        ["publish alerts.retry email.5s", (ch) => publish(ch, "alerts.retry", "email.5s")],
        ["publish alerts", (ch) => publish(ch, "alerts", "critical.sms")],
        ["declare a queue", (ch) => ch.assertQueue("sneaky", { durable: true })],
      ];
      return (await asUserSteps(s, u, steps)).join(", ");
    },
  },
  {
    name: "the producer: alerts with its routing keys only, no queue read, no configure",
    expected:
      "publish critical.sms: ok, publish critical.nowhere: refused, publish alerts.retry: refused, read alerts.sms: refused, declare a queue: refused",
    run: async (s) => {
      const u = "alerts-producer";
      const steps: Step[] = [
        ["publish critical.sms", (ch) => publish(ch, "alerts", "critical.sms")],
        ["publish critical.nowhere", (ch) => publish(ch, "alerts", "critical.nowhere")],
        ["publish alerts.retry", (ch) => publish(ch, "alerts.retry", "sms.5s")],
        ["read alerts.sms", (ch) => ch.get("alerts.sms")],
        ["declare a queue", (ch) => ch.assertQueue("sneaky", { durable: true })],
      ];
      return (await asUserSteps(s, u, steps)).join(", ");
    },
  },
  {
    name: "the monitoring user: metrics, nothing else",
    expected:
      "GET /api/overview: ok, GET /api/definitions: 401, PUT /api/vhosts/x: 401, read alerts.sms: refused, publish alerts: refused",
    run: async (s) => {
      const u = "alerts-monitor";
      const c = s.management(u, creds(s)[u]);
      const api = async (m: "GET" | "PUT", p: string) => {
        const r = await outcome(callApi(c, m, p, m === "PUT" ? {} : undefined));
        return r === "ok" ? "ok" : (/: (\d{3}) /.exec(r)?.[1] ?? r);
      };
      const amqpOps: Step[] = [
        ["read alerts.sms", (ch) => ch.get("alerts.sms")],
        ["publish alerts", (ch) => publish(ch, "alerts", "critical.sms")],
      ];
      const seen = [
        `GET /api/overview: ${await api("GET", "overview")}`,
        `GET /api/definitions: ${await api("GET", "definitions")}`,
        `PUT /api/vhosts/x: ${await api("PUT", "vhosts/x")}`,
      ];
      return [...seen, ...(await asUserSteps(s, u, amqpOps))].join(", ");
    },
  },
  {
    name: "secrets in `pulumi stack export` and `pulumi preview --json`",
    expected: "export: none, preview: none",
    run: (s) => {
      const exported = pulumi(s, ["stack", "export"]);
      const preview = pulumi(s, ["preview", "--json"]);
      return `export: ${leaked(s, exported)}, preview: ${leaked(s, preview)}`;
    },
  },
  {
    name: "secrets in the containers' environment",
    expected: "none",
    run: (s) => {
      const envs = containers(s).map((c) =>
        docker("inspect", "--format", "{{json .Config.Env}}", c),
      );
      return leaked(s, envs.join("\n"));
    },
  },
  {
    name: "secrets in the dispatchers' logs, after every channel delivered",
    expected: "none",
    run: (s) => {
      const logs = s.dispatchers().map((d) => dockerLogs(d));
      const channels = new Set(
        s.dispatchers().map((d) => CHANNELS.find((c) => d.includes(`-${c}-`))),
      );
      if (channels.size !== CHANNELS.length)
        return `dispatchers of ${[...channels].join(", ")} only`;
      return leaked(s, logs.join("\n"));
    },
  },
  {
    name: "what the nodes publish on the host",
    expected: "127.0.0.1 only: 5671, 15671; Erlang distribution and epmd: not published",
    run: (s) => {
      const published = new Set<number>();
      const ips = new Set<string>();
      for (const n of s.nodes) {
        const ports = JSON.parse(
          docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", n),
        ) as Record<string, { HostIp: string; HostPort: string }[] | null>;
        for (const [p, binds] of Object.entries(ports))
          for (const b of binds ?? []) {
            published.add(Number(p.split("/")[0]));
            ips.add(b.HostIp);
          }
      }
      const dist = [25672, 4369].filter((p) => published.has(p));
      return `${[...ips].join(", ")} only: ${[...published].sort((a, b) => a - b).join(", ")}; Erlang distribution and epmd: ${dist.length ? `published (${dist.join(", ")})` : "not published"}`;
    },
  },
];

/** A container's whole log, stdout and stderr. */
function dockerLogs(container: string): string {
  const r = spawnSync("docker", ["logs", container], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`docker logs ${container}: ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** The management API's answer to a request without credentials, over https trusting the CA. */
function fetchNoAuth(s: DevStack): Promise<string> {
  return new Promise((resolve) => {
    const req = tls.connect({ host, port: mgmtPort(s), ca: s.ca, servername: "localhost" }, () =>
      req.write("GET /api/overview HTTP/1.0\r\nHost: localhost\r\n\r\n"),
    );
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => resolve(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? text.slice(0, 80)));
    req.on("error", (e: Error) => resolve(e.message));
  });
}
