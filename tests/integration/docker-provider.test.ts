// The official pulumi-resource-docker 4.6.2 (built from pulumi/pulumi-docker's source by
// scripts/toolchain.sh; its schema is checked in toolchain.test.ts) under the real engine against
// a real Docker daemon: a network, a volume and a RabbitMQ container from the locally built
// warren/rabbitmq image, checked with `docker inspect` and the management API.
// Sets up what it needs itself (scripts/docker.sh ensure, scripts/images/build.sh) and removes what
// it created even when it fails; the daemon and the images stay for the next run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { engineEnv, jsProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";

const IMAGE = "warren/rabbitmq:3.10.8-bookworm";
const ADMIN = "warren-admin";

/** The proof program: one network, one volume, the local image, one broker container. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const docker = require("@pulumi/docker");
const config = new pulumi.Config();
const prefix = config.require("prefix");
const password = config.requireSecret("adminPassword");

const network = new docker.Network("net", { name: prefix + "-net", driver: "bridge" });
const volume = new docker.Volume("data", { name: prefix + "-data" });
// A local image by name: nothing is pulled, and destroy leaves it in place.
const image = new docker.RemoteImage("rabbitmq", { name: "${IMAGE}", keepLocally: true });

const broker = new docker.Container("broker", {
  name: prefix + "-broker",
  image: image.imageId,
  hostname: "broker",
  user: "rabbitmq",
  command: ["rabbitmq-server"],
  envs: ["RABBITMQ_NODENAME=warren@broker"],
  uploads: [{
    file: "/etc/rabbitmq/conf.d/20-warren.conf",
    content: pulumi.interpolate\`default_user = ${ADMIN}\\ndefault_pass = \${password}\\n\`,
  }],
  volumes: [{ volumeName: volume.name, containerPath: "/var/lib/rabbitmq" }],
  mounts: [{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: 64 * 1024 * 1024 } }],
  networksAdvanced: [{ name: network.name, aliases: ["rabbitmq"] }],
  // Ascending internal ports: the provider reads them back sorted, and another order would show
  // as a replacement on the next preview.
  ports: [{ internal: 5672, ip: "127.0.0.1" }, { internal: 15672, ip: "127.0.0.1" }],
  healthcheck: {
    tests: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
    interval: "2s", timeout: "20s", retries: 60, startPeriod: "5s",
  },
  wait: true,
  waitTimeout: 180,
  destroyGraceSeconds: 30,
});

exports.containerName = broker.name;
exports.networkName = network.name;
exports.volumeName = volume.name;
exports.ports = broker.ports;
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Run {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, ...opts });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a setup script; its progress goes to the test's stderr. */
function setup(script: string, args: string[]): string {
  const r = spawnSync("bash", [path.join(PROJECT_DIR, script), ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  assert.equal(r.status, 0, `${script} ${args.join(" ")} failed`);
  return r.stdout;
}

function docker(...args: string[]): Run {
  return run("docker", args);
}

function inspect<T>(kind: "container" | "network" | "volume" | "image", name: string): T {
  const r = docker(kind, "inspect", name);
  assert.equal(r.code, 0, `docker ${kind} inspect ${name}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as T[])[0];
}

function exists(kind: "container" | "network" | "volume" | "image", name: string): boolean {
  return docker(kind, "inspect", name).code === 0;
}

/** GET a management API path on 127.0.0.1 with basic auth. */
async function mgmt(
  port: number,
  p: string,
  password: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    headers: { authorization: "Basic " + Buffer.from(`${ADMIN}:${password}`).toString("base64") },
  });
  return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
}

/** Whether a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

describe("the docker provider under the real engine", () => {
  const prefix = `warren-test-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
  const password = crypto.randomBytes(18).toString("base64url");
  let dir = "";
  let env: NodeJS.ProcessEnv = {};
  let created = false;
  let outputs: {
    containerName: string;
    networkName: string;
    volumeName: string;
    ports: { internal: number; external: number; ip: string }[];
  };

  const pulumi = (args: string[], timeout = 300_000) =>
    run("pulumi", [...args, "--non-interactive"], { cwd: dir, env, timeout });
  const port = (internal: number) => outputs.ports.find((p) => p.internal === internal)!.external;

  before(
    () => {
      setup("scripts/docker.sh", ["ensure"]);
      setup("scripts/images/build.sh", ["rabbitmq"]);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-docker-"));
      jsProject(dir, "warren-docker-proof", PROGRAM);
      fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({
          name: "warren-docker-proof",
          private: true,
          dependencies: { "@pulumi/docker": "4.6.2", "@pulumi/pulumi": "3.248.0" },
        }),
      );
      env = { ...process.env, ...engineEnv(dir) };
      for (const args of [
        ["stack", "init", "dev"],
        ["config", "set", "prefix", prefix],
        ["config", "set", "--secret", "adminPassword", password],
      ]) {
        const r = pulumi(args);
        assert.equal(r.code, 0, `pulumi ${args[0]}: ${r.stderr}`);
      }
    },
    { timeout: 45 * 60_000 }, // a cold machine: daemon install, debootstrap, image and provider builds
  );

  after(() => {
    if (created && dir) {
      const r = pulumi(["destroy", "--yes"]);
      if (r.code !== 0)
        console.error(
          `docker-provider test: destroy failed, removing by name\n${r.stdout}\n${r.stderr}`,
        );
    }
    // Whatever destroy left (or an up that failed half-way): by the names this run chose.
    docker("rm", "-f", "-v", `${prefix}-broker`);
    docker("network", "rm", `${prefix}-net`);
    docker("volume", "rm", `${prefix}-data`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates the network, the volume and a healthy broker container", { timeout: 600_000 }, () => {
    created = true;
    const up = pulumi(["up", "--yes", "--skip-preview"], 600_000);
    assert.equal(up.code, 0, `pulumi up failed:\n${up.stdout}\n${up.stderr}`);
    outputs = JSON.parse(
      pulumi(["stack", "output", "--json", "--show-secrets"]).stdout,
    ) as typeof outputs;
    assert.equal(outputs.containerName, `${prefix}-broker`);

    type Container = {
      State: { Running: boolean; Health: { Status: string } };
      Config: {
        Hostname: string;
        User: string;
        Env: string[];
        Cmd: string[];
        Healthcheck: { Test: string[] };
      };
      HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[]> };
      Mounts: { Type: string; Name?: string; Destination: string }[];
      NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
    };
    const c = inspect<Container>("container", outputs.containerName);
    assert.equal(c.State.Running, true);
    assert.equal(c.State.Health.Status, "healthy");
    assert.equal(c.Config.Hostname, "broker");
    assert.equal(c.Config.User, "rabbitmq");
    assert.deepEqual(c.Config.Cmd, ["rabbitmq-server"]);
    assert.ok(c.Config.Env.includes("RABBITMQ_NODENAME=warren@broker"));
    assert.deepEqual(c.Config.Healthcheck.Test, [
      "CMD",
      "rabbitmq-diagnostics",
      "-q",
      "check_port_connectivity",
    ]);
    // Published on loopback only.
    assert.deepEqual(Object.keys(c.HostConfig.PortBindings).sort(), ["15672/tcp", "5672/tcp"]);
    for (const bindings of Object.values(c.HostConfig.PortBindings))
      assert.deepEqual(
        bindings.map((b) => b.HostIp),
        ["127.0.0.1"],
      );
    const published = docker("port", outputs.containerName).stdout.trim().split("\n").sort();
    assert.deepEqual(
      published,
      [`15672/tcp -> 127.0.0.1:${port(15672)}`, `5672/tcp -> 127.0.0.1:${port(5672)}`].sort(),
    );
    // The data volume and the tmpfs mount.
    assert.ok(
      c.Mounts.some(
        (m) =>
          m.Type === "volume" &&
          m.Name === `${prefix}-data` &&
          m.Destination === "/var/lib/rabbitmq",
      ),
    );
    assert.ok(c.Mounts.some((m) => m.Type === "tmpfs" && m.Destination === "/tmp"));
    // On its network, under its alias.
    assert.deepEqual(Object.keys(c.NetworkSettings.Networks), [`${prefix}-net`]);
    assert.ok(c.NetworkSettings.Networks[`${prefix}-net`].Aliases?.includes("rabbitmq"));
    assert.equal(inspect<{ Driver: string }>("network", `${prefix}-net`).Driver, "bridge");
    assert.equal(inspect<{ Name: string }>("volume", `${prefix}-data`).Name, `${prefix}-data`);
    // The uploaded file, as the broker reads it.
    const conf = docker(
      "exec",
      outputs.containerName,
      "cat",
      "/etc/rabbitmq/conf.d/20-warren.conf",
    );
    assert.equal(conf.stdout, `default_user = ${ADMIN}\ndefault_pass = ${password}\n`);
  });

  it("answers on the management API on 127.0.0.1 with the uploaded credentials, and not on other addresses", async () => {
    const overview = await mgmt(port(15672), "/api/overview", password);
    assert.equal(overview.status, 200, String(overview.body));
    const body = overview.body as { node: string; rabbitmq_version: string };
    assert.equal(body.node, "warren@broker"); // the env var and the hostname
    assert.equal(body.rabbitmq_version, "3.10.8");
    assert.equal((await mgmt(port(15672), "/api/overview", "wrong-password")).status, 401);
    assert.equal(await connects("127.0.0.1", port(5672)), true);
    // Another address of this machine does not reach the published ports.
    const other = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal);
    if (other)
      assert.equal(
        await connects(other.address, port(15672)),
        false,
        `reachable on ${other.address}`,
      );
  });

  it("previews no changes after up", () => {
    const r = pulumi(["preview", "--expect-no-changes", "--diff"]);
    assert.equal(r.code, 0, `changes were proposed:\n${r.stdout}\n${r.stderr}`);
  });

  it("keeps the admin password out of the state in plaintext", () => {
    const state = pulumi(["stack", "export"]).stdout;
    assert.ok(state.length > 0);
    assert.ok(!state.includes(password), "the password is in the state in plaintext");
  });

  it(
    "destroys the container, the network and the volume, and keeps the image",
    { timeout: 300_000 },
    () => {
      const r = pulumi(["destroy", "--yes", "--skip-preview"]);
      assert.equal(r.code, 0, `pulumi destroy failed:\n${r.stdout}\n${r.stderr}`);
      created = false;
      assert.equal(exists("container", `${prefix}-broker`), false);
      assert.equal(exists("network", `${prefix}-net`), false);
      assert.equal(exists("volume", `${prefix}-data`), false);
      assert.equal(exists("image", IMAGE), true);
    },
  );
});
