// A real RabbitMQ for integration tests: a private, throw-away node on loopback ports, or a shared
// one named by WARREN_TEST_BROKER. Run this file directly to start one for a whole test run.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RABBIT_BIN, freePorts, pidsOf, rabbitmqctl } from "./processes";
import { sleep } from "./wait";

export interface Broker {
  /** AMQP URL for a user (default: the admin) and vhost (default: "/"). */
  amqpUrl(user?: string, pass?: string, vhost?: string): string;
  /** Base URL of the management API, e.g. `http://127.0.0.1:45123`. */
  readonly managementUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** Erlang node name; empty for an external broker that did not say. */
  readonly nodeName: string;
  /** True when the broker came from WARREN_TEST_BROKER (so `stop()` leaves it running). */
  readonly external: boolean;
  /** How long it took to have the node ready (0 for an external broker). */
  readonly startMs: number;
  /** A management API call as the admin; `apiPath` starts with `/api/`. */
  mgmt(apiPath: string, init?: RequestInit): Promise<Response>;
  /** A management API call that must succeed (2xx); returns the parsed body, if any. */
  mgmtJson<T = unknown>(apiPath: string, init?: RequestInit): Promise<T>;
  /** Stops the node and removes its files; idempotent; a no-op for an external broker. */
  stop(): Promise<void>;
}

/** Shape of WARREN_TEST_BROKER, as printed by running this module. */
export interface ExternalBrokerEnv {
  readonly amqpUrl: string;
  readonly managementUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly nodeName?: string;
}

export interface StartBrokerOptions {
  /** Milliseconds to wait for the node to boot. */
  readonly startTimeoutMs?: number;
  /** Keep the node's folder after stop (logs), for debugging. */
  readonly keepDir?: boolean;
}

export const TEST_BROKER_ENV = "WARREN_TEST_BROKER";

const INSTALL_LOCK = path.join(os.tmpdir(), "warren-rabbitmq-install.lock");

let shared: Promise<Broker> | undefined;

/**
 * The broker for this test process: WARREN_TEST_BROKER if set, else one private node started on
 * first use and shared by every caller in the process. Call `stop()` from an `after()` hook.
 */
export function ensureBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  if (!shared) {
    shared = startBroker(opts);
    // A failed start must not poison later callers with the same rejected promise.
    shared.catch(() => (shared = undefined));
  }
  return shared;
}

/** A fresh broker: WARREN_TEST_BROKER if set, else a new private node. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  const env = process.env[TEST_BROKER_ENV];
  if (env) return externalBroker(env);
  return startPrivateNode(opts);
}

function externalBroker(raw: string): Broker {
  let parsed: Partial<ExternalBrokerEnv>;
  try {
    parsed = JSON.parse(raw) as Partial<ExternalBrokerEnv>;
  } catch (e) {
    throw new Error(`${TEST_BROKER_ENV} is not JSON: ${(e as Error).message}`);
  }
  for (const key of ["amqpUrl", "managementUrl", "adminUser", "adminPassword"] as const) {
    if (typeof parsed[key] !== "string" || parsed[key] === "") {
      throw new Error(`${TEST_BROKER_ENV} needs a non-empty string "${key}"`);
    }
  }
  const amqp = new URL(parsed.amqpUrl!);
  const mgmtBase = new URL(parsed.managementUrl!);
  // Tests create and delete vhosts and users: never let them loose on a non-local broker.
  for (const u of [amqp, mgmtBase]) {
    if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) {
      throw new Error(`${TEST_BROKER_ENV} must point at loopback, not ${u.host}`);
    }
  }
  return makeBroker({
    amqpHostPort: `${amqp.hostname}:${amqp.port || "5672"}`,
    managementUrl: mgmtBase.origin,
    adminUser: parsed.adminUser!,
    adminPassword: parsed.adminPassword!,
    nodeName: parsed.nodeName ?? "",
    external: true,
    startMs: 0,
    stop: async () => {},
  });
}

interface BrokerParts {
  readonly amqpHostPort: string;
  readonly managementUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly nodeName: string;
  readonly external: boolean;
  readonly startMs: number;
  readonly stop: () => Promise<void>;
}

function makeBroker(p: BrokerParts): Broker {
  const auth = "Basic " + Buffer.from(`${p.adminUser}:${p.adminPassword}`).toString("base64");
  const mgmt = (apiPath: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("authorization", auth);
    if (init.body !== undefined && !headers.has("content-type")) {
      headers.set("content-type", "application/json");
    }
    return fetch(p.managementUrl + apiPath, { ...init, headers });
  };
  let stopping: Promise<void> | undefined;
  return {
    amqpUrl(user = p.adminUser, pass = p.adminPassword, vhost = "/") {
      const cred = `${encodeURIComponent(user)}:${encodeURIComponent(pass)}`;
      return `amqp://${cred}@${p.amqpHostPort}/${encodeURIComponent(vhost)}`;
    },
    managementUrl: p.managementUrl,
    adminUser: p.adminUser,
    adminPassword: p.adminPassword,
    nodeName: p.nodeName,
    external: p.external,
    startMs: p.startMs,
    mgmt,
    async mgmtJson<T>(apiPath: string, init?: RequestInit): Promise<T> {
      const res = await mgmt(apiPath, init);
      const text = await res.text();
      if (!res.ok) {
        throw new Error(`${init?.method ?? "GET"} ${apiPath}: HTTP ${res.status} ${text}`);
      }
      return (text === "" ? undefined : JSON.parse(text)) as T;
    },
    stop() {
      stopping ??= p.stop();
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Private node

async function startPrivateNode(opts: StartBrokerOptions): Promise<Broker> {
  ensureRabbitInstalled();
  // The ports were free when picked, but another process may take one before the node binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPrivateNodeOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !/eaddrinuse/i.test((e as Error).message)) throw e;
    }
  }
}

async function startPrivateNodeOnce(opts: StartBrokerOptions): Promise<Broker> {
  const t0 = performance.now();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-rabbit-"));
  const [amqpPort, mgmtPort, distPort, epmdPort] = await freePorts(4);
  const nodeName = `warren-test-${process.pid}-${randomBytes(3).toString("hex")}@localhost`;
  const adminUser = "warren-admin";
  const adminPassword = randomBytes(18).toString("base64url");

  for (const sub of ["mnesia", "log", "home"]) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, "enabled_plugins"), "[rabbitmq_management].\n");
  fs.writeFileSync(path.join(dir, "rabbitmq-env.conf"), "");
  // The default user is created at first boot with these settings, so no `guest` ever exists
  // and no extra (slow, ~1.5 s each) rabbitmqctl round trips are needed to set up the admin.
  fs.writeFileSync(
    path.join(dir, "rabbitmq.conf"),
    [
      `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
      `management.tcp.ip = 127.0.0.1`,
      `management.tcp.port = ${mgmtPort}`,
      `default_vhost = /`,
      `default_user = ${adminUser}`,
      `default_pass = ${adminPassword}`,
      `default_user_tags.administrator = true`,
      `default_permissions.configure = .*`,
      `default_permissions.write = .*`,
      `default_permissions.read = .*`,
      `log.console = false`,
      `log.file.level = info`,
      `disk_free_limit.absolute = 50MB`,
      "",
    ].join("\n"),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The Erlang cookie lives in $HOME: a private HOME keeps /var/lib/rabbitmq untouched.
    HOME: path.join(dir, "home"),
    // A private epmd, so stopping this node can also stop its epmd without pulling the rug
    // from under any other Erlang node on the machine.
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: path.join(dir, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: path.join(dir, "rabbitmq.conf"),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, "advanced.config"),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, "rabbitmq-env.conf"),
    RABBITMQ_PID_FILE: path.join(dir, "rabbit.pid"),
  };

  const out = fs.openSync(path.join(dir, "server.out"), "a");
  // Its own process group, so a last-resort kill reaches erl and its helpers, and nothing else.
  const child = spawn(path.join(RABBIT_BIN, "rabbitmq-server"), [], {
    env,
    cwd: dir,
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  child.unref();

  const node: NodeState = { child, dir, env, nodeName, epmdPort, keepDir: !!opts.keepDir };
  live.add(node);
  installExitHandler();

  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  try {
    await awaitStartup(node, timeoutMs);
    const parts: BrokerParts = {
      amqpHostPort: `127.0.0.1:${amqpPort}`,
      managementUrl: `http://127.0.0.1:${mgmtPort}`,
      adminUser,
      adminPassword,
      nodeName,
      external: false,
      startMs: 0,
      stop: () => stopNode(node),
    };
    await waitForManagement(makeBroker(parts), node, timeoutMs);
    return makeBroker({ ...parts, startMs: Math.round(performance.now() - t0) });
  } catch (e) {
    const logs = tailLogs(dir);
    await stopNode(node);
    throw new Error(`RabbitMQ node ${nodeName} did not start: ${(e as Error).message}\n${logs}`);
  }
}

interface NodeState {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly nodeName: string;
  readonly epmdPort: number;
  readonly keepDir: boolean;
}

const live = new Set<NodeState>();

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function awaitStartup(node: NodeState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // await_startup fails at once while the node is not yet registered with epmd, so retry it.
  for (;;) {
    if (exited(node.child)) {
      throw new Error(`rabbitmq-server exited early (code ${node.child.exitCode})`);
    }
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const r = await ctl(node, ["await_startup", "--timeout", String(left)], left * 1000 + 15_000);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`await_startup failed: ${r.output.trim()}`);
    await sleep(500);
  }
}

async function waitForManagement(broker: Broker, node: NodeState, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (exited(node.child)) throw new Error("rabbitmq-server exited");
    try {
      const res = await broker.mgmt("/api/whoami");
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`management API not answering: ${last}`);
}

async function stopNode(node: NodeState): Promise<void> {
  if (!live.has(node)) return;
  try {
    if (!exited(node.child)) {
      await ctl(node, ["stop"], 30_000);
      await waitExit(node.child, 15_000);
    }
  } finally {
    hardCleanup(node);
  }
}

/** Synchronous, so it can also run from the process 'exit' handler. */
function hardCleanup(node: NodeState): void {
  if (!live.delete(node)) return;
  const pid = node.child.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // The group is already gone: the normal case after a clean stop.
    }
  }
  // epmd daemonizes out of the process group. `epmd -kill` refuses while the just-killed node is
  // still registered, so find our epmd by the private port in its environment and kill its PID.
  for (const epmdPid of pidsOf("epmd", `ERL_EPMD_PORT=${node.epmdPort}`, `HOME=${node.env.HOME}`)) {
    try {
      process.kill(epmdPid, "SIGKILL");
    } catch {
      // Exited on its own meanwhile.
    }
  }
  if (!node.keepDir) fs.rmSync(node.dir, { recursive: true, force: true });
}

let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Last resort when a test run dies without its after() hooks: no stray beam.smp or epmd.
  process.on("exit", () => {
    for (const node of [...live]) hardCleanup(node);
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const node of [...live]) hardCleanup(node);
      process.kill(process.pid, sig);
    });
  }
}


function ctl(node: NodeState, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return rabbitmqctl(node.nodeName, node.env, args, timeoutMs);
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}


function tailLogs(dir: string): string {
  const parts: string[] = [];
  const files = [path.join(dir, "server.out")];
  try {
    for (const f of fs.readdirSync(path.join(dir, "log"))) files.push(path.join(dir, "log", f));
  } catch {
    // No log folder yet.
  }
  for (const f of files) {
    try {
      const text = fs.readFileSync(f, "utf8");
      parts.push(`--- ${path.basename(f)} (tail)\n${text.split("\n").slice(-40).join("\n")}`);
    } catch {
      // Not written yet.
    }
  }
  return parts.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Installation

/**
 * Installs Debian's rabbitmq-server if missing. The package's own service must not start (it
 * would hold 5672/25672 and a cookie in /var/lib/rabbitmq): a policy-rc.d answering 101 makes
 * invoke-rc.d refuse; one is put in place for the install if the machine has none.
 */
export function ensureRabbitInstalled(): void {
  if (fs.existsSync(path.join(RABBIT_BIN, "rabbitmq-server"))) return;
  // Several test processes may get here at once; dpkg's own lock would fail the others.
  const script = `
    set -e
    [ -x ${RABBIT_BIN}/rabbitmq-server ] && exit 0
    if [ "$(id -u)" != 0 ]; then echo "rabbitmq-server is not installed and this is not root" >&2; exit 1; fi
    made_policy=
    trap '[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends rabbitmq-server; then
      apt-get update
      apt-get install -y --no-install-recommends rabbitmq-server
    fi
  `;
  const r = spawnSync("flock", [INSTALL_LOCK, "sh", "-c", script], {
    encoding: "utf8",
    timeout: 15 * 60_000,
  });
  if (r.status !== 0) {
    throw new Error(`could not install rabbitmq-server: ${r.error?.message ?? ""}\n${r.stderr}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports




// ---------------------------------------------------------------------------------------------
// `node bin/tests/support/broker.js`: one broker for a whole test run.

if (require.main === module) {
  startBroker()
    .then((b) => {
      const env: ExternalBrokerEnv = {
        amqpUrl: b
          .amqpUrl()
          .replace(/\/\/[^@]*@/, "//")
          .replace(/\/[^/]*$/, ""),
        managementUrl: b.managementUrl,
        adminUser: b.adminUser,
        adminPassword: b.adminPassword,
        nodeName: b.nodeName,
      };
      process.stdout.write(`${TEST_BROKER_ENV}=${JSON.stringify(env)}\n`);
      process.stderr.write(`broker ${b.nodeName} up in ${b.startMs} ms; Ctrl-C stops it\n`);
      const stop = () => void b.stop().then(() => process.exit(0));
      process.removeAllListeners("SIGINT");
      process.removeAllListeners("SIGTERM");
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      setInterval(() => {}, 1 << 30);
    })
    .catch((e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    });
}
