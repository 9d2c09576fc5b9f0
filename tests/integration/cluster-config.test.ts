// RabbitMQ 3.10.8 (Debian's package on this machine) accepts the rendered files of both golden
// stacks: rabbitmq.conf through its own config parser (cuttlefish, with the schemas of rabbit
// and of exactly the enabled plugins and their dependencies, as a booting node loads them),
// enabled_plugins as an Erlang term, rabbitmq-env.conf through a POSIX shell. The Kubernetes
// files cannot boot a node here (peer discovery needs the API server); this checks every key.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ensureRabbitInstalled } from "../support/broker";
import {
  clusterSchema,
  enabledPlugins,
  hashPassword,
  renderConfigFiles,
  renderDefinitions,
} from "../../components/cluster";
import {
  DEV_DOCKER,
  FIXTURE_ADMIN,
  PROD_KUBERNETES,
  type FixtureStack,
} from "../fixtures/cluster/stacks";

const PLUGINS_DIR = "/usr/lib/rabbitmq/lib/rabbitmq_server-3.10.8/plugins";

// Maps the config with cuttlefish as rabbit_prelaunch_conf does, then prints the chosen
// application settings one per line, or the errors, each line marked "=> " (cuttlefish logs its
// own reports to the same stdout). Paths come in the environment.
const MAP_CONFIG = `
[code:add_patha(E) || E <- filelib:wildcard(os:getenv("PLUGINS_DIR") ++ "/*/ebin")],
Schema = cuttlefish_schema:files(string:lexemes(os:getenv("SCHEMAS"), ":")),
Conf = cuttlefish_conf:files([os:getenv("CONF")]),
Show = fun(T) -> lists:flatten(io_lib:print(T, 1, 1000000, -1)) end,
case cuttlefish_generator:map(Schema, Conf) of
  {error, Phase, {errorlist, Errors}} ->
    io:format("=> error in ~p: ~ts~n", [Phase, Show(Errors)]), halt(1);
  Config ->
    [io:format("=> ~s.~s = ~ts~n", [App, Key, Show(V)])
     || {App, Settings} <- lists:sort(Config), App =/= vm_args, {Key, V} <- lists:sort(Settings),
        lists:member(atom_to_list(Key), string:lexemes(os:getenv("KEYS"), ","))],
    halt(0)
end.
`;

/** The settings this test looks at; everything else (logging) is checked by parsing at all. */
const KEYS = [
  "auth_mechanisms",
  "allow_anonymous",
  "cluster_formation",
  "cluster_nodes",
  "cluster_partition_handling",
  "disk_free_limit",
  "load_definitions",
  "loopback_users",
  "net_ticktime",
  "queue_leader_locator",
  "tcp_config",
  "tcp_listeners",
  "total_memory_available_override_value",
  "vm_memory_high_watermark",
];

/** Apps a plugin list pulls in from the plugins folder (OTP's own apps have no schema). */
function withDependencies(plugins: readonly string[]): string[] {
  const dirs = fs.readdirSync(PLUGINS_DIR);
  const found = new Map<string, string>();
  const visit = (app: string) => {
    const dir = dirs.find((d) => d.startsWith(`${app}-`) && /^\d/.test(d.slice(app.length + 1)));
    if (found.has(app) || !dir) return;
    found.set(app, dir);
    const appFile = fs.readFileSync(path.join(PLUGINS_DIR, dir, "ebin", `${app}.app`), "utf8");
    for (const dep of /\{applications,\s*\[([^\]]*)\]/.exec(appFile)?.[1].split(",") ?? [])
      visit(dep.trim());
  };
  for (const p of ["rabbit", ...plugins]) visit(p);
  return [...found.values()];
}

function schemasFor(plugins: readonly string[]): string[] {
  return withDependencies(plugins).flatMap((dir) => {
    const schemaDir = path.join(PLUGINS_DIR, dir, "priv", "schema");
    return fs.existsSync(schemaDir)
      ? fs.readdirSync(schemaDir).map((f) => path.join(schemaDir, f))
      : [];
  });
}

/** Exit code and the marked lines of MAP_CONFIG. */
function mapConfig(
  conf: string,
  plugins: readonly string[],
): { code: number | null; lines: string[] } {
  const r = spawnSync("erl", ["-noshell", "-noinput", "-eval", MAP_CONFIG], {
    env: {
      PATH: process.env.PATH,
      HOME: os.tmpdir(),
      PLUGINS_DIR,
      SCHEMAS: schemasFor(plugins).join(":"),
      CONF: conf,
      KEYS: KEYS.join(","),
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("=> "))
    .map((l) => l.slice(3));
  return { code: r.status, lines };
}

describe("RabbitMQ 3.10.8 accepts the rendered node files", () => {
  let dir = "";

  before(() => {
    ensureRabbitInstalled();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "warren-cluster-config-"));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The stack's files, written under `dir/<name>` (which stands in for /etc/rabbitmq). */
  function write(stack: FixtureStack): string {
    const configDir = path.join(dir, stack.name);
    fs.mkdirSync(configDir, { recursive: true });
    const spec = clusterSchema.parse(stack.config);
    const admin = {
      username: FIXTURE_ADMIN.username,
      passwordHash: hashPassword(FIXTURE_ADMIN.password, FIXTURE_ADMIN.salt),
    };
    // load_definitions must name a readable file, so the definitions go there too.
    for (const f of [
      ...renderConfigFiles(spec, stack.runtime, { configDir }),
      renderDefinitions(admin, { configDir }),
    ])
      fs.writeFileSync(f.path, f.content, { mode: f.mode });
    return configDir;
  }

  it("parses the Kubernetes rabbitmq.conf into k8s peer discovery by hostname and the limits", () => {
    const configDir = write(PROD_KUBERNETES);
    const plugins = enabledPlugins(
      clusterSchema.parse(PROD_KUBERNETES.config),
      PROD_KUBERNETES.runtime,
    );
    assert.deepEqual(mapConfig(path.join(configDir, "rabbitmq.conf"), plugins), {
      code: 0,
      lines: [
        "kernel.net_ticktime = 15",
        "rabbit.auth_mechanisms = ['AMQPLAIN','PLAIN']",
        'rabbit.cluster_formation = [{peer_discovery_backend,rabbit_peer_discovery_k8s},{peer_discovery_k8s,[{k8s_host,"kubernetes.default"},{k8s_service_name,"warren-nodes"},{k8s_address_type,hostname},{k8s_hostname_suffix,".warren-nodes.rabbitmq"}]},{node_cleanup,[{cleanup_only_log_warning,true}]}]',
        "rabbit.cluster_partition_handling = pause_minority",
        "rabbit.disk_free_limit = {mem_relative,2.0}",
        `rabbit.load_definitions = "${configDir}/definitions.json"`,
        'rabbit.loopback_users = [<<"guest">>]',
        'rabbit.queue_leader_locator = <<"least-leaders">>',
        "rabbit.tcp_listeners = [5672]",
        "rabbit.total_memory_available_override_value = 4294967296",
        'rabbit.vm_memory_high_watermark = {absolute,"3GB"}',
        "rabbitmq_management.tcp_config = [{port,15672}]",
        "rabbitmq_mqtt.allow_anonymous = false",
        "rabbitmq_prometheus.tcp_config = [{port,15692}]",
      ],
    });
  });

  it("parses the Docker rabbitmq.conf into a classic_config node list", () => {
    const configDir = write(DEV_DOCKER);
    const plugins = enabledPlugins(clusterSchema.parse(DEV_DOCKER.config), DEV_DOCKER.runtime);
    assert.deepEqual(mapConfig(path.join(configDir, "rabbitmq.conf"), plugins), {
      code: 0,
      lines: [
        "kernel.net_ticktime = 15",
        "rabbit.auth_mechanisms = ['AMQPLAIN','PLAIN']",
        "rabbit.cluster_formation = [{peer_discovery_backend,rabbit_peer_discovery_classic_config}]",
        // cuttlefish collects numbered keys last first; classic_config gives the order no meaning.
        "rabbit.cluster_nodes = {['rabbit@warren-rabbit-3','rabbit@warren-rabbit-2','rabbit@warren-rabbit-1'],disc}",
        "rabbit.cluster_partition_handling = pause_minority",
        "rabbit.disk_free_limit = {mem_relative,1.5}",
        `rabbit.load_definitions = "${configDir}/definitions.json"`,
        'rabbit.loopback_users = [<<"guest">>]',
        'rabbit.queue_leader_locator = <<"least-leaders">>',
        "rabbit.tcp_listeners = [5672]",
        "rabbit.total_memory_available_override_value = 2147483648",
        "rabbit.vm_memory_high_watermark = 0.6",
        "rabbitmq_management.tcp_config = [{port,15672}]",
        "rabbitmq_prometheus.tcp_config = [{port,15692}]",
      ],
    });
  });

  it("would refuse a key of a plugin that is not enabled, so the check above means something", () => {
    const configDir = write(DEV_DOCKER);
    const conf = path.join(dir, "with-k8s-key.conf");
    fs.writeFileSync(
      conf,
      fs.readFileSync(path.join(configDir, "rabbitmq.conf"), "utf8") +
        "cluster_formation.k8s.host = kubernetes.default\n",
    );
    const r = mapConfig(
      conf,
      enabledPlugins(clusterSchema.parse(DEV_DOCKER.config), DEV_DOCKER.runtime),
    );
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines, [
      'error in transform_datatypes: [{error,{unknown_variable,"cluster_formation.k8s.host"}}]',
    ]);
  });

  it("reads enabled_plugins as one Erlang list of atoms", () => {
    for (const stack of [DEV_DOCKER, PROD_KUBERNETES]) {
      const file = path.join(write(stack), "enabled_plugins");
      const out = execFileSync(
        "erl",
        ["-noshell", "-noinput", "-eval", `io:format("~p~n", [file:consult("${file}")]), halt().`],
        {
          encoding: "utf8",
          env: { PATH: process.env.PATH, HOME: os.tmpdir() },
        },
      );
      const expected = enabledPlugins(clusterSchema.parse(stack.config), stack.runtime);
      assert.equal(out.replace(/\s+/g, ""), `{ok,[[${expected.join(",")}]]}`, stack.name);
    }
  });

  it("names each Kubernetes pod's node from its hostname when a shell sources rabbitmq-env.conf", () => {
    const file = path.join(write(PROD_KUBERNETES), "rabbitmq-env.conf");
    const out = execFileSync(
      "sh",
      [
        "-c",
        '. "$1" && printf "%s\\n" "$NODENAME" "$USE_LONGNAME" "$MNESIA_BASE" "$LOG_BASE" "$DIST_PORT"',
        "sh",
        file,
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH, HOSTNAME: "warren-2" } },
    );
    assert.equal(
      out,
      [
        "rabbit@warren-2.warren-nodes.rabbitmq",
        "true",
        "/data/rabbitmq/mnesia",
        "/data/rabbitmq/log",
        "25672",
        "",
      ].join("\n"),
    );
  });
});
