// The Docker node's start script and watchdog (components/runtimes/docker/start.ts): valid shell,
// secrets installed once and found installed later, and the watchdog run for real with bash on
// loopback: it kills a "stuck" process (AMQP closed, a majority of peers reachable), and leaves
// alone a node cut off from its peers and a node whose AMQP port answers.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { startScript, watchdogScript } from "../../../../components/runtimes/docker/start";
import { clusterSchema } from "../../../../components/cluster/schema";
import { freePorts } from "../../../support/processes";

const spec = clusterSchema.parse({});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-watchdog-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer((c) => c.destroy()).listen(port, "127.0.0.1", () => resolve(s));
  });
}

/** Runs the watchdog for `seconds` against a `sleep` standing in for the Erlang VM; says whether it was killed. */
async function watch(
  opts: { peersUp: boolean; amqpUp: boolean },
  seconds: number,
): Promise<{ killed: boolean; log: string }> {
  const [amqpPort, distributionPort] = await freePorts(2);
  const servers = [
    ...(opts.peersUp ? [await listen(distributionPort)] : []),
    ...(opts.amqpUp ? [await listen(amqpPort)] : []),
  ];
  const vm = spawn("sleep", ["600"], { stdio: "ignore" });
  const pid = vm.pid;
  assert.ok(pid !== undefined, "sleep did not start");
  const pidFile = path.join(dir, `vm-${pid}.pid`);
  fs.writeFileSync(pidFile, `${pid}\n`);
  const script = path.join(dir, `watchdog-${pid}.sh`);
  // This host plus two peers on loopback: a majority of 3 is this node and one peer.
  fs.writeFileSync(
    script,
    watchdogScript(spec, [os.hostname(), "127.0.0.1", "127.0.0.2"], {
      amqpPort,
      distributionPort,
      pidFile,
      everyS: 1,
      stuckAfterS: 3,
    }),
  );
  const dog = spawn("bash", [script], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  dog.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<boolean>((resolve) => vm.once("exit", () => resolve(true)));
  const killed = await Promise.race([
    exited,
    new Promise<boolean>((r) => setTimeout(() => r(false), seconds * 1000)),
  ]);
  dog.kill("SIGKILL");
  if (!killed) vm.kill("SIGKILL");
  for (const s of servers) s.close();
  return { killed, log };
}

describe("the Docker node's start script and watchdog", () => {
  it("are valid shell", () => {
    for (const [shell, text] of [
      ["sh", startScript(spec)],
      ["bash", watchdogScript(spec, ["a", "b", "c"])],
    ] as const) {
      const r = spawnSync(shell, ["-n"], { input: text, encoding: "utf8" });
      assert.equal(r.status, 0, `${shell} -n: ${r.stderr}`);
    }
  });

  it("installs the staged secrets only when they are there, and starts the watchdog before RabbitMQ", () => {
    const lines = startScript(spec).split("\n");
    assert.match(
      lines[2],
      /^if \[ -f \/run\/warren\/erlang.cookie \]; then install .* && rm -f \/run\/warren\/erlang.cookie; fi; \[ -s \/var\/lib\/rabbitmq\/.erlang.cookie \]/,
    );
    assert.deepEqual(lines.slice(-2), [
      "bash /run/warren/watchdog.sh &",
      "exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq rabbitmq-server",
    ]);
  });

  it("with TLS on, installs the node's TLS files too, the key for rabbitmq only", () => {
    const tls = clusterSchema.parse({ tls: { mode: "generate" } });
    const text = startScript(tls);
    assert.equal(spawnSync("sh", ["-n"], { input: text, encoding: "utf8" }).status, 0);
    const lines = text.split("\n");
    assert.equal(lines[2], "install -d -o rabbitmq -g rabbitmq -m 700 /etc/rabbitmq/tls");
    assert.deepEqual(
      lines
        .filter((l) => l.includes("/etc/rabbitmq/tls/"))
        .map((l) => / -m (\d+) (\S+) (\S+) /.exec(l)!.slice(1)),
      [
        ["644", "/run/warren/tls/ca.crt", "/etc/rabbitmq/tls/ca.crt"],
        ["644", "/run/warren/tls/tls.crt", "/etc/rabbitmq/tls/tls.crt"],
        ["600", "/run/warren/tls/tls.key", "/etc/rabbitmq/tls/tls.key"],
      ],
    );
    // The plaintext script is what it was: a change would replace every node container.
    assert.ok(!startScript(spec).includes("tls"));
  });

  it("kills a node whose AMQP port stays closed while it reaches a majority", async () => {
    const r = await watch({ peersUp: true, amqpUp: false }, 15);
    assert.equal(r.killed, true, r.log);
    assert.match(
      r.log,
      /^warren watchdog: AMQP closed for 3 s with 2 of 3 nodes reachable: killing the stuck Erlang VM \(\d+\)/m,
    );
  });

  it("leaves alone a node cut off from its peers (paused by pause_minority on purpose)", async () => {
    const r = await watch({ peersUp: false, amqpUp: false }, 7);
    assert.deepEqual(r, { killed: false, log: "" });
  });

  it("leaves alone a node whose AMQP port answers", async () => {
    const r = await watch({ peersUp: true, amqpUp: true }, 7);
    assert.deepEqual(r, { killed: false, log: "" });
  });
});
