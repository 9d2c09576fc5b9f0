// The Docker runtime under Pulumi mocks, through the program: network, per-node volumes and
// containers, the rendered files uploaded, ports on 127.0.0.1 only, the healthcheck.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { readFileSync } from "fs";
import { RULES } from "../../../policies/rules";
import { evaluate, fromMocks } from "../../support/policy";
import { type RecordedInputs, valueOf } from "../../support/mocks";
import { PROJECT_DIR, runProgram } from "../../support/program";

describe("DockerCluster", async () => {
  const { run, outputs } = await runProgram(
    path.join(PROJECT_DIR, "tests", "fixtures", "docker.yaml"),
    { stack: "docker" },
  );
  const all = run.ofType("docker:index/container:Container").map((c) => c.inputs);
  const containers = all.filter((c) => c.name.startsWith("warren-test-rabbit-"));
  const dispatchers = all.filter((c) => c.name.startsWith("warren-test-dispatcher-"));

  it("creates one network and, per node, a container with a stable hostname on it", () => {
    assert.deepEqual(
      run.ofType("docker:index/network:Network").map((n) => n.inputs.name),
      ["warren-test"],
    );
    assert.deepEqual(
      containers.map((c) => c.hostname),
      ["warren-test-rabbit-1", "warren-test-rabbit-2", "warren-test-rabbit-3"],
    );
    for (const c of containers)
      assert.deepEqual(c.networksAdvanced, [{ name: "warren-test", aliases: [c.hostname] }]);
  });

  it("keeps data and logs on a volume each, at the relocated paths", () => {
    assert.deepEqual(
      run
        .ofType("docker:index/volume:Volume")
        .map((v) => v.inputs.name)
        .sort(),
      [
        "warren-test-rabbit-1-data",
        "warren-test-rabbit-1-logs",
        "warren-test-rabbit-2-data",
        "warren-test-rabbit-2-logs",
        "warren-test-rabbit-3-data",
        "warren-test-rabbit-3-logs",
      ],
    );
    assert.deepEqual(containers[0].volumes, [
      { volumeName: "warren-test-rabbit-1-data", containerPath: "/data/rabbitmq/mnesia" },
      { volumeName: "warren-test-rabbit-1-logs", containerPath: "/data/rabbitmq/log" },
    ]);
  });

  it("publishes management and AMQP of each node on 127.0.0.1 only", () => {
    assert.deepEqual(
      containers.map((c) => c.ports),
      [1, 2, 3].map((i) => [
        { internal: 15672, external: 25672 + i - 1, ip: "127.0.0.1" },
        { internal: 5672, external: 25600 + i - 1, ip: "127.0.0.1" },
      ]),
    );
  });

  it("uploads exactly the rendered files, identical on every node, and forms the cluster by classic_config", () => {
    const files = (c: RecordedInputs["docker:index/container:Container"]) =>
      Object.fromEntries(c.uploads.value.map((u) => [u.file, u.content]));
    const first = files(containers[0]);
    assert.deepEqual(Object.keys(first).sort(), [
      "/etc/rabbitmq/enabled_plugins",
      "/etc/rabbitmq/rabbitmq-env.conf",
      "/etc/rabbitmq/rabbitmq.conf",
      "/run/warren/definitions.json",
      "/run/warren/erlang.cookie",
      "/run/warren/start.sh",
      "/run/warren/watchdog.sh",
    ]);
    for (const c of containers.slice(1))
      assert.deepEqual(
        files(c)["/etc/rabbitmq/rabbitmq.conf"],
        first["/etc/rabbitmq/rabbitmq.conf"],
      );
    assert.match(
      first["/etc/rabbitmq/rabbitmq.conf"],
      /^cluster_formation\.classic_config\.nodes\.3 = rabbit@warren-test-rabbit-3$/m,
    );
    assert.match(
      first["/run/warren/start.sh"],
      /^exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=\/var\/lib\/rabbitmq rabbitmq-server$/m,
    );
    // Installed once, then found installed on every restart of the container.
    assert.match(
      first["/run/warren/start.sh"],
      /^if \[ -f \/run\/warren\/erlang.cookie \]; then install .* && rm -f \/run\/warren\/erlang.cookie; fi; \[ -s \/var\/lib\/rabbitmq\/.erlang.cookie \]/m,
    );
    assert.match(
      first["/run/warren/start.sh"],
      /^chown rabbitmq:rabbitmq \/data\/rabbitmq\/mnesia \/data\/rabbitmq\/log$/m,
    );
  });

  it("keeps the cookie and admin definitions out of the environment, as secrets", () => {
    for (const c of containers)
      assert.deepEqual(c.envs, ["RABBITMQ_CONF_ENV_FILE=/etc/rabbitmq/rabbitmq-env.conf"]);
    // One secret upload makes the container's whole upload list secret (in state, too).
    assert.equal(
      containers[0].uploads["4dabf18193072939515e22adb298388d"],
      "1b47061264138c4ac30d75fd1eb44270",
    );
    const cookie = containers[0].uploads.value.find((u) => u.file === "/run/warren/erlang.cookie");
    assert.equal(cookie?.content, "generated-warren-erlang-cookie"); // the mocks' generated value
  });

  it("waits for a healthy node, with a pinned image and a memory limit", () => {
    for (const c of containers) {
      assert.deepEqual(c.healthcheck.tests, [
        "CMD",
        "rabbitmq-diagnostics",
        "-q",
        "check_port_connectivity",
      ]);
      assert.equal(c.wait, true);
      assert.equal(c.memory, 1024);
    }
    assert.deepEqual(
      run
        .ofType("docker:index/remoteImage:RemoteImage")
        .map((i) => i.inputs.name)
        .sort(),
      ["warren/dispatcher:0.1.0", "warren/rabbitmq:3.10.8-bookworm"],
    );
  });

  it("runs one dispatcher container per replica on the cluster network, secrets uploaded as files", () => {
    assert.deepEqual(
      dispatchers.map((d) => [d.name, d.networksAdvanced[0].name, d.user]),
      [
        ["warren-test-dispatcher-dingtalk-1", "warren-test", "10001:10001"],
        ["warren-test-dispatcher-dingtalk-2", "warren-test", "10001:10001"],
      ],
    );
    const d = dispatchers[0];
    assert.ok(d.envs.includes("WARREN_DINGTALK_WEBHOOK_URL_FILE=/run/secrets/warren/webhook-url"));
    assert.ok(d.envs.includes("WARREN_DINGTALK_SECRET_FILE=/run/secrets/warren/signing-secret"));
    for (const e of d.envs) assert.doesNotMatch(e, /test-secret-value|amqp:\/\//, e);
    assert.equal(d.uploads["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    const uploads = Object.fromEntries(d.uploads.value.map((u) => [u.file, u.content]));
    assert.deepEqual(Object.keys(uploads).sort(), [
      "/run/secrets/warren/amqp-url",
      "/run/secrets/warren/signing-secret",
      "/run/secrets/warren/webhook-url",
    ]);
    // Every node, one per line: the dispatcher rotates over them when it reconnects.
    assert.equal(
      uploads["/run/secrets/warren/amqp-url"],
      [1, 2, 3]
        .map(
          (i) =>
            `amqp://alerts-consumer-dingtalk:generated-warren%3Apassword%3Aalerts-consumer-dingtalk@warren-test-rabbit-${i}:5672/alerting`,
        )
        .join("\n"),
    );
  });

  it("points the topology at node 1's management port with the generated admin", async () => {
    assert.equal(await valueOf(outputs.managementUrl), "http://127.0.0.1:25672");
    assert.deepEqual(await valueOf(outputs.nodes), [
      "rabbit@warren-test-rabbit-1",
      "rabbit@warren-test-rabbit-2",
      "rabbit@warren-test-rabbit-3",
    ]);
  });

  it("passes every mandatory dev rule but TLS, and the exposure and secrets rules at all", async () => {
    const dev = JSON.parse(
      readFileSync(path.join(PROJECT_DIR, "policies", "dev.json"), "utf8"),
    ) as Record<string, unknown>;
    const found = await evaluate(RULES, fromMocks(run.resources), dev);
    // This fixture keeps TLS off (the plaintext runtime); dev requires it.
    assert.deepEqual(
      found.filter((f) => f.rule === "broker-tls-only").map((f) => f.message),
      [1, 2, 3].map(
        (i) =>
          `container "warren-test-rabbit-${i}": TLS is off (warren:cluster.tls.mode is "off"); this environment requires it`,
      ),
    );
    assert.deepEqual(
      found.filter(
        (f) =>
          (f.level === "mandatory" && f.rule !== "broker-tls-only") ||
          [
            "no-exposure-without-tls",
            "secrets-from-secret-store",
            "memory-watermark-and-disk-limit",
            "pinned-images",
          ].includes(f.rule),
      ),
      [],
    );
  });
});
