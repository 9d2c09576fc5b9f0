// What a Docker node runs at start: the start script (secrets into place, then RabbitMQ as the
// rabbitmq user) and the watchdog it leaves behind. Pure: scripts as text, tested directly.
import {
  CONFIG_DIR,
  DEFAULT_PORTS,
  RABBITMQ_HOME,
  STUCK_AFTER_S,
  tlsPaths,
} from "../../cluster/render";
import type { ClusterSpec } from "../../cluster/schema";

/** Where uploaded secrets and scripts wait before the start script installs them. */
export const STAGING = "/run/warren";

/** The staged TLS files (`warren:cluster.tls` on), by their names at tlsPaths. */
export const TLS_STAGED = { ca: "tls/ca.crt", cert: "tls/tls.crt", key: "tls/tls.key" } as const;

const WATCHDOG_EVERY_S = 10;

/**
 * The start script, run as root by `sh`. Root only long enough to give the relocated folders
 * (fresh volumes are root-owned) and the cookie to the rabbitmq user (a node whose data folder it
 * cannot write crashes at boot). The staged secrets are moved into place on the container's
 * first start; every later start (docker restart, a crash, a host reboot) finds them installed,
 * so the node always comes back. The watchdog goes to the background; then RabbitMQ replaces the
 * shell as the rabbitmq user (setpriv execs, unlike runuser, which forks and kills its child 2 s
 * after SIGTERM): `docker stop` reaches rabbitmq-server, whose SIGTERM handler stops the node
 * cleanly within the stop timeout.
 */
export function startScript(spec: ClusterSpec): string {
  // With TLS on, the node's certificate files too: the key readable by rabbitmq only.
  const tls = tlsPaths();
  const tlsFiles: [string, string, string][] =
    spec.tls.mode === "off"
      ? []
      : [
          [TLS_STAGED.ca, tls.ca, "644"],
          [TLS_STAGED.cert, tls.cert, "644"],
          [TLS_STAGED.key, tls.key, "600"],
        ];
  return [
    "set -e",
    `chown rabbitmq:rabbitmq ${spec.dataDir} ${spec.logDir}`,
    ...(tlsFiles.length ? [`install -d -o rabbitmq -g rabbitmq -m 700 ${CONFIG_DIR}/tls`] : []),
    ...[
      [`erlang.cookie`, `${RABBITMQ_HOME}/.erlang.cookie`, "600"],
      [`definitions.json`, `${CONFIG_DIR}/definitions.json`, "600"],
      ...tlsFiles,
    ].map(
      ([file, target, mode]) =>
        `if [ -f ${STAGING}/${file} ]; then install -o rabbitmq -g rabbitmq -m ${mode} ${STAGING}/${file} ${target} && rm -f ${STAGING}/${file}; fi; ` +
        `[ -s ${target} ] || { echo "warren: ${target} is missing" >&2; exit 1; }`,
    ),
    `bash ${STAGING}/watchdog.sh &`,
    `exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=${RABBITMQ_HOME} rabbitmq-server`,
  ].join("\n");
}

/**
 * The watchdog, a bash loop beside RabbitMQ in the container. A node that comes back from a
 * partition under pause_minority can hang in its boot for good (seen with RabbitMQ 3.10.8 on
 * Erlang 25: stuck after "Peer discovery ... skipping registration", the rabbit application
 * never starting, while its peers are up; a fresh start of the VM joins at once). So: every
 * 10 s, if the node's AMQP port does not answer while the node reaches the distribution port of
 * enough peers to make a majority (so pause_minority would let it run), that counts; after
 * STUCK_AFTER_S in a row the Erlang VM is killed, the container exits and Docker's restart
 * policy starts it afresh. A node cut off from its peers (paused on purpose) is left alone, and
 * so is a healthy one. What it does goes to the container log, prefixed "warren watchdog".
 */
export interface WatchdogOptions {
  /** @default DEFAULT_PORTS.amqp */
  readonly amqpPort?: number;
  /** @default DEFAULT_PORTS.distribution */
  readonly distributionPort?: number;
  /** @default `<dataDir>/rabbit@$(hostname).pid`, where RabbitMQ writes it */
  readonly pidFile?: string;
  /** @default 10 */
  readonly everyS?: number;
  /** @default STUCK_AFTER_S */
  readonly stuckAfterS?: number;
}

export function watchdogScript(
  spec: ClusterSpec,
  nodes: readonly string[],
  o: WatchdogOptions = {},
): string {
  // The same file on every node: its peers are the other hostnames.
  const majority = Math.floor(nodes.length / 2) + 1; // counting this node
  const pidFile = o.pidFile ?? `${spec.dataDir}/rabbit@$(hostname).pid`;
  const every = o.everyS ?? WATCHDOG_EVERY_S;
  const after = o.stuckAfterS ?? STUCK_AFTER_S;
  const amqp = o.amqpPort ?? DEFAULT_PORTS.amqp;
  const dist = o.distributionPort ?? DEFAULT_PORTS.distribution;
  return [
    "#!/bin/bash",
    // The path below is where this file was when the script first shipped (now
    // components/runtimes/docker/start.ts). Kept byte for byte: any change to the script is a
    // change to every node container's uploads, which replaces the containers.
    "# warren watchdog (components/cluster/docker-start.ts): restarts a node stuck in its boot.",
    'reachable() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }',
    'self="$(hostname)"',
    "stuck=0",
    `while sleep ${every}; do`,
    `  if reachable 127.0.0.1 ${amqp}; then stuck=0; continue; fi`,
    "  reach=1",
    `  for peer in ${nodes.join(" ")}; do`,
    '    [ "$peer" = "$self" ] || { reachable "$peer" ' + `${dist} && reach=$((reach + 1)); }`,
    "  done",
    `  if [ "$reach" -lt ${majority} ]; then stuck=0; continue; fi`,
    `  stuck=$((stuck + ${every}))`,
    `  if [ "$stuck" -ge ${after} ]; then`,
    `    pid="$(cat "${pidFile}" 2>/dev/null || true)"`,
    `    echo "warren watchdog: AMQP closed for ${after} s with $reach of ${nodes.length} nodes reachable: killing the stuck Erlang VM ($pid) so the container restarts" >&2`,
    '    [ -n "$pid" ] && kill -KILL "$pid"',
    "    stuck=0",
    "  fi",
    "done",
    "",
  ].join("\n");
}
