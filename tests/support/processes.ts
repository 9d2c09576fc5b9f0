// Ports and processes for the tests: free loopback ports, rabbitmqctl, child processes and what
// /proc says about processes (the private RabbitMQ nodes' cleanup and the cluster's checks).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Where Debian's rabbitmq-server package puts the server and CLI tools (run as root, directly). */
export const RABBIT_BIN = "/usr/lib/rabbitmq/bin";

const PORT_RANGE = { min: 40000, max: 60000 } as const;

/** Distinct ports in 40000-60000, none of `exclude`, that are free on 127.0.0.1 right now. */
export async function freePorts(n: number, exclude: Iterable<number> = []): Promise<number[]> {
  const taken = new Set(exclude);
  const ports: number[] = [];
  while (ports.length < n) {
    const port = PORT_RANGE.min + Math.floor(Math.random() * (PORT_RANGE.max - PORT_RANGE.min));
    if (!taken.has(port) && !ports.includes(port) && (await isFree(port))) ports.push(port);
  }
  return ports;
}

export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `rabbitmqctl -n NODE ARGS` with the node's environment (same HOME, so the same cookie); killed after `timeoutMs`. */
export function rabbitmqctl(
  nodeName: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(path.join(RABBIT_BIN, "rabbitmqctl"), ["-n", nodeName, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    p.stdout.on("data", (d: Buffer) => (output += d.toString()));
    p.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when `child` has exited, or after `timeoutMs` whatever it does. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** SIGKILL to a PID, or to a process group for a negative one; a process already gone is fine. */
export function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone: the normal case after a clean stop.
  }
}

/** SIGKILL to the process group of a child spawned with `detached: true`. */
export function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) tryKill(-child.pid);
}

// ---------------------------------------------------------------------------------------------
// /proc

export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead, waiting for its parent
  } catch {
    return false;
  }
}

export interface ProcInfo {
  readonly pid: number;
  readonly comm: string;
  readonly cmdline: string;
  readonly environ: string[];
  /** Process group. */
  readonly pgrp: number;
}

/** Live processes other than this one matching `pred` (zombies and processes we may not read are skipped). */
export function pidsWhere(pred: (p: ProcInfo) => boolean): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const info: ProcInfo = {
        pid: Number(entry),
        comm: fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim(),
        cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "),
        environ: fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0"),
        // Fields after the parenthesised command name: state, ppid, pgrp, ...
        pgrp: Number(
          fs
            .readFileSync(`/proc/${entry}/stat`, "utf8")
            .replace(/^.*\) /s, "")
            .split(" ")[2],
        ),
      };
      if (alive(info.pid) && pred(info)) found.push(info.pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** The TCP sockets a process listens on, as "ip:port" (IPv6 ones as raw hex), sorted by port. */
export function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  const found: [number, string][] = [];
  for (const table of ["tcp", "tcp6"]) {
    for (const line of fs.readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9])) continue; // 0A: LISTEN
      const [hex, portHex] = f[1].split(":");
      const port = parseInt(portHex, 16);
      const ip =
        table === "tcp"
          ? [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".")
          : `[${hex}]`;
      found.push([port, `${ip}:${port}`]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}

export function describeProcess(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 120)}`;
  } catch {
    return `${pid} (gone)`;
  }
}
