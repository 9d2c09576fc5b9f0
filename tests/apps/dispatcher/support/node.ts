// A private RabbitMQ node that can be stopped and started again on the same ports and data (for
// the broker-restart test), built like tests/support/broker.ts' private node: own node name,
// loopback ports, private epmd and HOME (cookie), everything under one temp folder, removed at the
// end. The shared harness has no restart and its internals are not exported; this file leaves its
// API alone.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureRabbitInstalled } from "../../../support/broker";
import { RABBIT_BIN, freePorts, pidsOf, rabbitmqctl } from "../../../support/processes";
import { sleep } from "../../../support/wait";


export interface RestartableNode {
  amqpUrl(user?: string, pass?: string, vhost?: string): string;
  readonly managementUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  mgmt(apiPath: string, init?: RequestInit): Promise<Response>;
  mgmtJson<T = unknown>(apiPath: string, init?: RequestInit): Promise<T>;
  /** Stops the node (rabbitmqctl stop), keeping its data. */
  stopNode(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once AMQP and management answer. */
  startNode(): Promise<void>;
  /** Stops the node for good and removes its folder; idempotent. */
  destroy(): Promise<void>;
}

export async function startRestartableNode(timeoutMs = 120_000): Promise<RestartableNode> {
  ensureRabbitInstalled();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-dispatcher-rabbit-"));
  const [amqpPort, mgmtPort, distPort, epmdPort] = await freePorts(4);
  const nodeName = `warren-disp-${process.pid}-${randomBytes(3).toString("hex")}@localhost`;
  const adminUser = "warren-admin";
  const adminPassword = randomBytes(18).toString("base64url");
  for (const sub of ["mnesia", "log", "home"]) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, "enabled_plugins"), "[rabbitmq_management].\n");
  fs.writeFileSync(path.join(dir, "rabbitmq-env.conf"), "");
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
    HOME: path.join(dir, "home"),
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
  const managementUrl = `http://127.0.0.1:${mgmtPort}`;
  const auth = "Basic " + Buffer.from(`${adminUser}:${adminPassword}`).toString("base64");
  const mgmt = (apiPath: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", auth);
    if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
    return fetch(managementUrl + apiPath, { ...init, headers });
  };

  let child: ChildProcess | undefined;
  const groups: number[] = [];
  let destroyed = false;

  const ctl = (args: string[], ms: number) => rabbitmqctl(nodeName, env, args, ms);

  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

  const startNode = async () => {
    const out = fs.openSync(path.join(dir, "server.out"), "a");
    const c = spawn(path.join(RABBIT_BIN, "rabbitmq-server"), [], { env, cwd: dir, detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    c.unref();
    child = c;
    if (c.pid !== undefined) groups.push(c.pid);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited(c)) throw new Error(`rabbitmq-server exited early (code ${c.exitCode})\n${tail(dir)}`);
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const r = await ctl(["await_startup", "--timeout", String(left)], left * 1000 + 15_000);
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new Error(`await_startup failed: ${r.output.trim()}\n${tail(dir)}`);
      await sleep(500);
    }
    while (Date.now() < deadline) {
      try {
        if ((await mgmt("/api/whoami")).ok) return;
      } catch {
        // Not listening yet.
      }
      await sleep(200);
    }
    throw new Error("management API not answering");
  };

  const stopNode = async () => {
    const c = child;
    if (!c || exited(c)) return;
    await ctl(["stop"], 60_000);
    await new Promise<void>((resolve) => {
      if (exited(c)) return resolve();
      const timer = setTimeout(resolve, 20_000);
      c.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };

  const hardCleanup = () => {
    if (destroyed) return;
    destroyed = true;
    for (const pid of groups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Gone already: the normal case after a clean stop.
      }
    }
    for (const pid of pidsOf("epmd", `ERL_EPMD_PORT=${epmdPort}`, `HOME=${env.HOME}`)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", hardCleanup);

  try {
    await startNode();
  } catch (e) {
    hardCleanup();
    throw e;
  }

  return {
    amqpUrl(user = adminUser, pass = adminPassword, vhost = "/") {
      return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${amqpPort}/${encodeURIComponent(vhost)}`;
    },
    managementUrl,
    adminUser,
    adminPassword,
    mgmt,
    async mgmtJson<T>(apiPath: string, init?: RequestInit): Promise<T> {
      const res = await mgmt(apiPath, init);
      const text = await res.text();
      if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${apiPath}: HTTP ${res.status} ${text}`);
      return (text === "" ? undefined : JSON.parse(text)) as T;
    },
    stopNode,
    startNode,
    async destroy() {
      if (destroyed) return;
      try {
        await stopNode();
      } finally {
        hardCleanup();
        process.off("exit", hardCleanup);
      }
    },
  };
}


function tail(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, "server.out"), "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "";
  }
}



