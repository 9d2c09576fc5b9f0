// The tests' one launcher of private RabbitMQ nodes (Debian's rabbitmq-server): one or several under
// a temp folder, with a private epmd, HOME and cookie, restartable, cleaned up whatever the run does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  RABBIT_BIN,
  exited,
  freePorts,
  killGroup,
  pidsWhere,
  rabbitmqctl,
  tryKill,
  waitExit,
} from "./processes";
import { sleep } from "./wait";

/** A file to write, the way components/cluster renders them. */
export interface NodeFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** What a group's `addNode` setup says about the node whose files it wrote. */
export interface NodeSetup {
  /** Environment on top of the group's (HOME, private epmd, CLI on loopback). */
  readonly env: NodeJS.ProcessEnv;
  /** Folder of the node's own log files, for the tails shown when something fails. */
  readonly logDir: string;
}

export interface NodeGroupOptions {
  /** Prefix of the temp folder's name under os.tmpdir(). */
  readonly prefix: string;
  /** The Erlang cookie file for a node's HOME (default: a random cookie, owner-only). */
  readonly cookie?: (home: string) => NodeFile;
  /** Keep the folder (logs) after cleanup; default: WARREN_TEST_KEEP_DIR is set. */
  readonly keepDir?: boolean;
}

const STOP_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 20_000;

/** One node of a group: its folder, environment and ports; started, stopped and started again. */
export class RabbitNode<P extends object = object> {
  child?: ChildProcess;
  /** The process group of every start, for the last-resort kill. */
  private readonly groups: number[] = [];

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly ports: P,
    readonly logDir: string,
  ) {}

  /** Spawns rabbitmq-server (output to `server.out`); `awaitStartup` waits for it. */
  start(): void {
    const out = fs.openSync(path.join(this.dir, "server.out"), "a");
    // Its own process group, so a last-resort kill reaches erl and its helpers, and nothing else.
    const child = spawn(path.join(RABBIT_BIN, "rabbitmq-server"), [], {
      env: this.env,
      cwd: this.dir,
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    child.unref();
    this.child = child;
    if (child.pid !== undefined) this.groups.push(child.pid);
  }

  async awaitStartup(timeoutMs = 120_000): Promise<void> {
    const child = this.child;
    const deadline = Date.now() + timeoutMs;
    // await_startup fails at once while the node is not yet registered with epmd, so retry it.
    for (;;) {
      if (!child || exited(child))
        throw new Error(
          `${this.name}: rabbitmq-server exited during startup (code ${String(child?.exitCode)})`,
        );
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const r = await this.ctl(["await_startup", "--timeout", String(left)], left * 1000 + 15_000);
      if (r.code === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${this.name}: await_startup failed: ${r.output.trim()}`);
      await sleep(500);
    }
  }

  /** `rabbitmqctl stop`, keeping the node's data and ports for a later `start`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    try {
      if (!exited(child)) {
        await this.ctl(["stop"], STOP_TIMEOUT_MS);
        await waitExit(child, EXIT_TIMEOUT_MS);
      }
    } finally {
      killGroup(child); // helpers that outlive the VM, or a VM that would not stop
    }
  }

  get running(): boolean {
    return this.child !== undefined && !exited(this.child);
  }

  /** `rabbitmqctl -n <this node>` with its environment; killed after `timeoutMs`. */
  ctl(
    args: string[],
    timeoutMs = STOP_TIMEOUT_MS,
  ): Promise<{ code: number | null; output: string }> {
    return rabbitmqctl(this.name, this.env, args, timeoutMs);
  }

  /** `rabbitmqctl --quiet ARGS` that must succeed; its output. */
  async ctlOk(args: string[]): Promise<string> {
    const r = await this.ctl(["--quiet", ...args]);
    if (r.code !== 0)
      throw new Error(
        `rabbitmqctl ${args.join(" ")} on ${this.name}: exit ${String(r.code)}\n${r.output}`,
      );
    return r.output;
  }

  /** The node's beam.smp: the process named so in the group rabbitmq-server was started in. */
  beamPid(): number {
    const group = this.child?.pid;
    const [pid] = pidsWhere((p) => p.comm === "beam.smp" && p.pgrp === group);
    if (pid === undefined) throw new Error(`no beam.smp for ${this.name}`);
    return pid;
  }

  /** SIGKILL to every process group it was started in; synchronous, for the 'exit' handler. */
  killAll(): void {
    for (const pid of this.groups) tryKill(-pid);
  }
}

// ---------------------------------------------------------------------------------------------
// Groups of nodes, and cleanup whatever happens

/** Nodes under one temp folder, sharing a private epmd and a cookie. */
export class NodeGroup {
  readonly root: string;
  readonly nodes: RabbitNode[] = [];
  readonly keepDir: boolean;
  /** The private epmd's port; 0 until the first `ports` call. */
  epmdPort = 0;
  private readonly cookie: (home: string) => NodeFile;
  private readonly taken = new Set<number>();
  private sentinel?: ChildProcess;
  private destroyed = false;

  constructor(opts: NodeGroupOptions) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
    this.keepDir = opts.keepDir ?? !!process.env.WARREN_TEST_KEEP_DIR;
    const secret = randomBytes(24).toString("hex");
    this.cookie =
      opts.cookie ??
      ((home) => ({ path: path.join(home, ".erlang.cookie"), content: secret, mode: 0o600 }));
  }

  /**
   * `n` ports free on 127.0.0.1, none handed out before in this group. The first call also arms
   * the cleanup and picks the private epmd's port.
   */
  async ports(n: number): Promise<number[]> {
    if (!this.epmdPort) {
      this.arm();
      this.epmdPort = (await this.pick(1))[0];
    }
    return this.pick(n);
  }

  private async pick(n: number): Promise<number[]> {
    const ports = await freePorts(n, this.taken);
    for (const p of ports) this.taken.add(p);
    return ports;
  }

  /** A node in `root/node-<i>` with a private HOME holding the cookie; `setup` writes its files. */
  addNode<P extends object>(
    name: string,
    ports: P,
    setup: (dir: string) => NodeSetup,
  ): RabbitNode<P> {
    if (!this.epmdPort)
      throw new Error("NodeGroup.ports() picks the epmd port before any node is added");
    const dir = path.join(this.root, `node-${this.nodes.length + 1}`);
    const home = path.join(dir, "home");
    fs.mkdirSync(home, { recursive: true });
    const cookie = this.cookie(home);
    fs.writeFileSync(cookie.path, cookie.content, { mode: cookie.mode });
    const { env, logDir } = setup(dir);
    // Nothing of a RabbitMQ or Erlang set-up around the test run may leak into the node.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(RABBITMQ_|ERL_)/.test(k)),
    );
    const node = new RabbitNode(
      name,
      dir,
      {
        ...inherited,
        // The Erlang cookie lives in $HOME: a private HOME keeps /var/lib/rabbitmq untouched.
        HOME: home,
        // A private epmd, so cleanup can stop it without pulling the rug from under any other
        // Erlang node on the machine.
        ERL_EPMD_PORT: String(this.epmdPort),
        ERL_EPMD_ADDRESS: "127.0.0.1",
        // The CLI tools are distributed Erlang nodes too: keep them on loopback.
        RABBITMQ_CTL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
        ...env,
      },
      ports,
      logDir,
    );
    this.nodes.push(node);
    return node;
  }

  /** Starts every node (in parallel, as a cluster must) and waits until all have booted. */
  async startAll(timeoutMs = 120_000): Promise<void> {
    for (const node of this.nodes) node.start();
    await Promise.all(this.nodes.map((n) => n.awaitStartup(timeoutMs)));
  }

  /** Stops every node, then the private epmd, and removes the folder; idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => {})));
    this.hardCleanup();
  }

  /** Kills what is left, at once; synchronous, for the process 'exit' handler too. */
  hardCleanup(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const n of this.nodes) n.killAll();
    // epmd daemonizes out of the process group. `epmd -kill` refuses while a just-killed node is
    // still registered, so find ours by its private port and HOME and kill its PID.
    const ours = (e: string[]) =>
      e.includes(`ERL_EPMD_PORT=${this.epmdPort}`) &&
      e.some((v) => v.startsWith(`HOME=${this.root}/`));
    for (const pid of pidsWhere((p) => p.comm === "epmd" && ours(p.environ))) tryKill(pid);
    if (!this.keepDir) fs.rmSync(this.root, { recursive: true, force: true });
    if (this.sentinel) killGroup(this.sentinel);
    untrack(this);
  }

  /** The last lines of every node's server output and log files. */
  logTails(lines = 40): string {
    const files: string[] = [];
    for (const n of this.nodes) {
      files.push(path.join(n.dir, "server.out"));
      try {
        for (const f of fs.readdirSync(n.logDir)) files.push(path.join(n.logDir, f));
      } catch {
        // No log folder yet.
      }
    }
    const parts: string[] = [];
    for (const f of new Set(files)) {
      try {
        parts.push(
          `--- ${f} (tail)\n${fs.readFileSync(f, "utf8").split("\n").slice(-lines).join("\n")}`,
        );
      } catch {
        // Not written yet.
      }
    }
    return parts.join("\n");
  }

  /**
   * Cleanup for a run that dies: handlers for exit and signals, and a detached sentinel for a
   * death no handler sees (the test runner SIGKILLs its file processes when it dies itself, e.g.
   * when its stdout is closed). The sentinel kills only processes whose environment names this
   * group's folder.
   */
  private arm(): void {
    track(this);
    const script = [
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
      'for d in /proc/[0-9]*; do grep -qaF -- "$2/" "$d/environ" 2>/dev/null && kill -KILL "${d#/proc/}" 2>/dev/null; done',
      '[ -n "$3" ] || rm -rf -- "$2"',
    ].join("\n");
    const args = [String(process.pid), this.root, this.keepDir ? "keep" : ""];
    this.sentinel = spawn("sh", ["-c", script, "warren-rabbit-sentinel", ...args], {
      detached: true,
      stdio: "ignore",
      env: { PATH: process.env.PATH },
    });
    this.sentinel.unref();
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const live = new Set<NodeGroup>();
// Last resort when a test run dies without its after() hooks: no stray beam.smp or epmd.
const onExit = () => {
  for (const group of [...live]) group.hardCleanup();
};
const onSignal = (signal: NodeJS.Signals) => {
  onExit(); // which also takes these handlers away
  // End as the signal would have, unless someone else listens for it and so decides. (Raising it
  // again is not enough: with nothing else to do, node exits 0 before it is delivered.)
  if (process.listenerCount(signal) === 0) process.exit(128 + os.constants.signals[signal]);
};

function track(group: NodeGroup): void {
  if (live.size === 0) {
    process.on("exit", onExit);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  live.add(group);
}

function untrack(group: NodeGroup): void {
  if (!live.delete(group) || live.size > 0) return;
  process.off("exit", onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

// ---------------------------------------------------------------------------------------------
// Installation

const INSTALL_LOCK = path.join(os.tmpdir(), "warren-rabbitmq-install.lock");

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
