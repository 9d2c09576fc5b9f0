// A real RabbitMQ for integration tests: a private, throw-away node on loopback ports, or a shared
// one named by WARREN_TEST_BROKER. Run this file directly to start one for a whole test run.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type ManagementApi, amqpUrl, managementApi } from "./management";
import { exited, killGroup, tryKill, waitExit } from "./processes";
import { NodeGroup, ensureRabbitInstalled } from "./rabbit-node";
import { until } from "./wait";

export { ensureRabbitInstalled };

export interface Broker extends ManagementApi {
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
  return startRestartableBroker(opts);
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
  let stopping: Promise<void> | undefined;
  return {
    ...managementApi(p.managementUrl, p.adminUser, p.adminPassword),
    amqpUrl: (user = p.adminUser, pass = p.adminPassword, vhost = "/") =>
      amqpUrl(p.amqpHostPort, user, pass, vhost),
    managementUrl: p.managementUrl,
    adminUser: p.adminUser,
    adminPassword: p.adminPassword,
    nodeName: p.nodeName,
    external: p.external,
    startMs: p.startMs,
    stop() {
      stopping ??= p.stop();
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Private node

/** A private node, which can also be stopped and started again. */
export interface RestartableBroker extends Broker {
  /** Stops the node (rabbitmqctl stop), keeping its data and ports. */
  stopNode(): Promise<void>;
  /**
   * Kills the node as a crash would: SIGKILL to its beam.smp by PID, no shutdown; resolves once
   * it has exited. Data and ports are kept for `startNode`.
   */
  killNode(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once AMQP and management answer. */
  startNode(): Promise<void>;
  /** Whether the node's rabbitmq-server is running (started and not exited). */
  nodeRunning(): boolean;
}

/** A new private node whatever WARREN_TEST_BROKER says, e.g. for a test that restarts it. */
export async function startRestartableBroker(
  opts: StartBrokerOptions = {},
): Promise<RestartableBroker> {
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

interface PrivatePorts {
  readonly amqp: number;
  readonly management: number;
  readonly distribution: number;
}

async function startPrivateNodeOnce(opts: StartBrokerOptions): Promise<RestartableBroker> {
  const t0 = performance.now();
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const group = new NodeGroup({ prefix: "warren-rabbit-", keepDir: opts.keepDir });
  const nodeName = `warren-test-${process.pid}-${randomBytes(3).toString("hex")}@localhost`;
  const adminUser = "warren-admin";
  const adminPassword = randomBytes(18).toString("base64url");
  const [amqp, management, distribution] = await group.ports(3);
  const ports: PrivatePorts = { amqp, management, distribution };
  const node = group.addNode(nodeName, ports, (dir) =>
    writePrivateNodeFiles(dir, nodeName, ports, adminUser, adminPassword),
  );
  const managementUrl = `http://127.0.0.1:${management}`;
  const api = managementApi(managementUrl, adminUser, adminPassword);

  const startNode = async () => {
    try {
      await group.startAll(timeoutMs);
      await waitForManagement(api, () => node.running, timeoutMs);
    } catch (e) {
      throw new Error(
        `RabbitMQ node ${nodeName} did not start: ${(e as Error).message}\n${group.logTails()}`,
      );
    }
  };
  try {
    await startNode();
  } catch (e) {
    await group.destroy();
    throw e;
  }
  const broker = makeBroker({
    amqpHostPort: `127.0.0.1:${amqp}`,
    managementUrl,
    adminUser,
    adminPassword,
    nodeName,
    external: false,
    startMs: Math.round(performance.now() - t0),
    stop: () => group.destroy(),
  });
  const killNode = async () => {
    const child = node.child;
    if (!child || exited(child)) return;
    tryKill(node.beamPid());
    // rabbitmq-server (a shell script) waits for the VM and exits with it.
    await waitExit(child, 20_000);
    killGroup(child); // its helpers (erl_child_setup, inet_gethost), should any outlive the VM
  };
  return {
    ...broker,
    stopNode: () => node.stop(),
    killNode,
    startNode,
    nodeRunning: () => node.running,
  };
}

/** The node's files and environment: loopback listeners, the admin as the only user, management. */
function writePrivateNodeFiles(
  dir: string,
  nodeName: string,
  ports: PrivatePorts,
  adminUser: string,
  adminPassword: string,
) {
  for (const sub of ["mnesia", "log"]) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, "enabled_plugins"), "[rabbitmq_management].\n");
  fs.writeFileSync(path.join(dir, "rabbitmq-env.conf"), "");
  // The default user is created at first boot with these settings, so no `guest` ever exists
  // and no extra (slow, ~1.5 s each) rabbitmqctl round trips are needed to set up the admin.
  fs.writeFileSync(
    path.join(dir, "rabbitmq.conf"),
    [
      `listeners.tcp.1 = 127.0.0.1:${ports.amqp}`,
      `management.tcp.ip = 127.0.0.1`,
      `management.tcp.port = ${ports.management}`,
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
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(ports.distribution),
    RABBITMQ_MNESIA_BASE: path.join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: path.join(dir, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: path.join(dir, "rabbitmq.conf"),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, "advanced.config"),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, "rabbitmq-env.conf"),
    RABBITMQ_PID_FILE: path.join(dir, "rabbit.pid"),
  };
  return { env, logDir: path.join(dir, "log") };
}

/** Resolves once the management API answers the admin; fails at once if the node exits. */
async function waitForManagement(
  api: ManagementApi,
  running: () => boolean,
  timeoutMs: number,
): Promise<void> {
  let last = "";
  const answers = async () => {
    if (!running()) throw new Error("rabbitmq-server exited");
    try {
      const res = await api.mgmt("/api/whoami");
      last = `HTTP ${res.status}`;
      return res.ok;
    } catch (e) {
      last = (e as Error).message;
      return false;
    }
  };
  await until("the management API", answers, timeoutMs, 200).catch((e: Error) => {
    throw new Error(running() ? `${e.message}: ${last}` : e.message);
  });
}

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
