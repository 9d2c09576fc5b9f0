// Small process and port helpers shared by the tests' private RabbitMQ nodes (broker.ts, the
// dispatcher's restartable node, the three-node cluster): one copy, so a fix reaches them all.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Where Debian's rabbitmq-server package puts the server and CLI tools (run as root, directly). */
export const RABBIT_BIN = "/usr/lib/rabbitmq/bin";

const PORT_RANGE = { min: 40000, max: 60000 } as const;

/** Distinct ports in 40000-60000 that are free on 127.0.0.1 right now. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = PORT_RANGE.min + Math.floor(Math.random() * (PORT_RANGE.max - PORT_RANGE.min));
    if (!ports.includes(port) && (await isFree(port))) ports.push(port);
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
    const p = spawn(path.join(RABBIT_BIN, "rabbitmqctl"), ["-n", nodeName, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    p.stdout.on("data", (d) => (output += d));
    p.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** PIDs of processes named `comm` whose environment holds every one of `envEntries`. */
export function pidsOf(comm: string, ...envEntries: string[]): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== comm) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (envEntries.every((e) => env.includes(e))) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}
