// The node files rendered from warren:cluster, checked byte for byte against golden files under
// tests/fixtures/cluster/ (WARREN_UPDATE_GOLDEN=1 rewrites them; review the diff), and the
// rules of the renderers: per-node parameters, plugin list, cookie, admin definitions.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  type ClusterRuntime,
  clusterSchema,
  hashPassword,
  renderConfigFiles,
  renderDefinitions,
  renderEnabledPlugins,
  renderErlangCookie,
  renderRabbitmqConf,
  renderRabbitmqEnvConf,
  validateCluster,
} from "../../../components/cluster";
import { DEV_DOCKER, FIXTURE_ADMIN, PROD_KUBERNETES } from "../../fixtures/cluster/stacks";

const FIXTURES = path.resolve(__dirname, "../../../../tests/fixtures/cluster");

const ADMIN = {
  username: FIXTURE_ADMIN.username,
  passwordHash: hashPassword(FIXTURE_ADMIN.password, FIXTURE_ADMIN.salt),
};
const DEV_RUNTIME = DEV_DOCKER.runtime;
const PROD_RUNTIME = PROD_KUBERNETES.runtime;

function golden(file: string, actual: string): void {
  const p = path.join(FIXTURES, file);
  if (process.env.WARREN_UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, actual);
  }
  assert.equal(actual, fs.readFileSync(p, "utf8"), `${file} differs from the golden file`);
}

it("renders the admin definitions as the golden file", () => {
  golden("definitions.json", renderDefinitions(ADMIN).content);
});

for (const { name, config, runtime, environment } of [DEV_DOCKER, PROD_KUBERNETES]) {
  describe(`the ${name} node files`, () => {
    const spec = clusterSchema.parse(config);

    it("come from a valid config", () => {
      assert.deepEqual(validateCluster(spec, environment), []);
    });

    it("render rabbitmq.conf as the golden file", () => {
      golden(`${name}/rabbitmq.conf`, renderRabbitmqConf(spec, runtime));
    });

    it("render rabbitmq-env.conf as the golden file", () => {
      golden(`${name}/rabbitmq-env.conf`, renderRabbitmqEnvConf(spec, runtime));
    });

    it("render enabled_plugins as the golden file", () => {
      golden(`${name}/enabled_plugins`, renderEnabledPlugins(spec, runtime));
    });

    it("are the same files, at their /etc/rabbitmq paths, from renderConfigFiles", () => {
      assert.deepEqual(renderConfigFiles(spec, runtime), [
        {
          path: "/etc/rabbitmq/enabled_plugins",
          content: renderEnabledPlugins(spec, runtime),
          mode: 0o644,
        },
        {
          path: "/etc/rabbitmq/rabbitmq-env.conf",
          content: renderRabbitmqEnvConf(spec, runtime),
          mode: 0o644,
        },
        {
          path: "/etc/rabbitmq/rabbitmq.conf",
          content: renderRabbitmqConf(spec, runtime),
          mode: 0o644,
        },
      ]);
    });
  });
}

describe("per-node parameters", () => {
  const spec = clusterSchema.parse({ dataDir: "/tmp/it/data", logDir: "/tmp/it/log" });
  const runtime: ClusterRuntime = {
    kind: "docker",
    nodes: ["a@localhost", "b@localhost", "c@localhost"],
  };
  const node = {
    nodeName: "b@localhost",
    bindAddress: "127.0.0.1",
    ports: { amqp: 41001, management: 41002, prometheus: 41003, distribution: 41004 },
    configDir: "/tmp/it/b/etc",
  };

  it("change only the listeners and the definitions path in rabbitmq.conf", () => {
    const perNode = renderRabbitmqConf(spec, runtime, node).split("\n");
    const shared = renderRabbitmqConf(spec, runtime).split("\n");
    assert.deepEqual(
      perNode.filter((l) => !shared.includes(l)),
      [
        "listeners.tcp.default = 127.0.0.1:41001",
        "management.tcp.ip = 127.0.0.1",
        "management.tcp.port = 41002",
        "prometheus.tcp.ip = 127.0.0.1",
        "prometheus.tcp.port = 41003",
        "distribution.listener.interface = 127.0.0.1",
        "load_definitions = /tmp/it/b/etc/definitions.json",
      ],
    );
    assert.deepEqual(
      shared.filter((l) => !perNode.includes(l)),
      [
        "listeners.tcp.default = 5672",
        "management.tcp.port = 15672",
        "prometheus.tcp.port = 15692",
        "load_definitions = /etc/rabbitmq/definitions.json",
      ],
    );
  });

  it("name the node, its distribution port and its config folder in rabbitmq-env.conf", () => {
    assert.deepEqual(
      renderRabbitmqEnvConf(spec, runtime, node)
        .split("\n")
        .filter((l) => l && !l.startsWith("#")),
      [
        "CONFIG_FILE=/tmp/it/b/etc/rabbitmq.conf",
        "CONFIG_FILES=/tmp/it/b/etc/rabbitmq.conf.d",
        "ENABLED_PLUGINS_FILE=/tmp/it/b/etc/enabled_plugins",
        "MNESIA_BASE=/tmp/it/data",
        "LOG_BASE=/tmp/it/log",
        "DIST_PORT=41004",
        "NODENAME=b@localhost",
      ],
    );
  });

  it("refuse a node that is not in the Docker node list", () => {
    assert.throws(() => renderRabbitmqConf(spec, runtime, { nodeName: "d@localhost" }), {
      message: 'docker runtime: node "d@localhost" is not in the node list',
    });
  });

  it("refuse a Docker node list that does not match the replica count", () => {
    assert.throws(() => renderRabbitmqConf(spec, { kind: "docker", nodes: ["a", "b"] }), {
      message: "docker runtime: 2 nodes listed for 3 replicas",
    });
  });
});

describe("enabled_plugins", () => {
  it("always has management and prometheus, once, sorted, whatever the config's order", () => {
    const spec = clusterSchema.parse({
      plugins: ["rabbitmq_stream", "rabbitmq_prometheus", "rabbitmq_amqp1_0"],
    });
    assert.equal(
      renderEnabledPlugins(spec, DEV_RUNTIME),
      "[rabbitmq_amqp1_0,rabbitmq_management,rabbitmq_prometheus,rabbitmq_stream].\n",
    );
  });

  it("adds the k8s peer discovery plugin on Kubernetes only", () => {
    const spec = clusterSchema.parse({});
    assert.equal(
      renderEnabledPlugins(spec, PROD_RUNTIME),
      "[rabbitmq_management,rabbitmq_peer_discovery_k8s,rabbitmq_prometheus].\n",
    );
    assert.equal(
      renderEnabledPlugins(spec, DEV_RUNTIME),
      "[rabbitmq_management,rabbitmq_prometheus].\n",
    );
  });
});

describe("the Erlang cookie", () => {
  it("is the secret as is, in the rabbitmq user's home, readable by its owner only", () => {
    const cookie = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    assert.deepEqual(renderErlangCookie(cookie), {
      path: "/var/lib/rabbitmq/.erlang.cookie",
      content: cookie,
      mode: 0o600,
    });
  });

  it("refuses a cookie Erlang would not take, without showing it", () => {
    for (const bad of ["short-secret", "has a space in it, twenty+", "x".repeat(256)])
      assert.throws(() => renderErlangCookie(bad), {
        message:
          "the Erlang cookie must be 20 to 255 printable ASCII characters without spaces (value not shown)",
      });
  });
});

describe("the admin definitions", () => {
  it("hash passwords as RabbitMQ does (the example of rabbitmq.com/docs/passwords)", () => {
    assert.equal(
      hashPassword("test12", Buffer.from("908dc60a", "hex")),
      "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR",
    );
  });

  it("never contain the password, and are readable by their owner only", () => {
    const file = renderDefinitions(ADMIN);
    assert.equal(file.content.includes("correct horse"), false);
    assert.equal(file.mode, 0o600);
    assert.equal(file.path, "/etc/rabbitmq/definitions.json");
  });

  it("refuse guest as the admin", () => {
    assert.throws(() => renderDefinitions({ ...ADMIN, username: "guest" }), {
      message: 'the admin user may not be "guest"',
    });
  });
});
