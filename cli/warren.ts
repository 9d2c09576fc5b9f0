#!/usr/bin/env node
// `warren`: the reviewers' CLI. Reads a stack file; needs no engine and no broker.
//   warren validate [--stack NAME | --file PATH]
//   warren route    [--stack NAME | --file PATH] --vhost V --exchange X --key K [--header name=value ...]
//   warren routes   [--stack NAME | --file PATH]
//   warren diff     [--stack NAME] [--base GIT_REF | --base-file PATH] [--format text|markdown] [--graph]
//   warren graph    [--stack NAME | --file PATH]
//   warren alert    --url amqp://USER@HOST/VHOST [--url ...] --severity S --title T [...]   (cli/alert.ts)
import { parseArgs } from "util";
import { alertRoutes, formatRoutes } from "../components/alerting/matrix";
import { formatIssue } from "../components/core/issues";
import { type WarrenSpec, parseWarrenConfig } from "../components/config/spec";
import { readStackConfig } from "../components/config/stack-file";
import { RoutingError, RoutingTable } from "../components/topology/routing";
import type { ArgValue } from "../components/topology/spec";
import { alertCommand } from "./alert";
import type { Io } from "./io";
import { diffCommand, graphCommand } from "./review";

const USAGE = `usage:
  warren validate [--stack NAME | --file PATH]
  warren route    [--stack NAME | --file PATH] --vhost V --exchange X --key K [--header name=value ...]
  warren routes   [--stack NAME | --file PATH]
  warren diff     [--stack NAME] [--base GIT_REF | --base-file PATH] [--format text|markdown] [--graph]
  warren graph    [--stack NAME | --file PATH]
  warren alert    --url amqp://USER@HOST:PORT/VHOST [--url ...] --severity S [--channel C] --title T
                  [--body B] [--source S] [--label k=v ...] [--id ID] [--count N] [--user U] [--password-file PATH]
                  (password from WARREN_AMQP_PASSWORD or --password-file; warren alert --help for more)
The stack file is Pulumi.<NAME>.yaml in the current folder (default stack: dev).`;

/** A failure the user can act on: printed without a stack trace, exit code 1. */
class UsageError extends Error {}

function loadSpec(values: { stack?: string; file?: string }, io: Io): WarrenSpec | undefined {
  if (values.stack && values.file) throw new UsageError("give --stack or --file, not both");
  const config = readStackConfig({ stack: values.stack, file: values.file });
  const r = parseWarrenConfig(config);
  if (!r.ok) {
    r.issues.forEach((i) => io.err(formatIssue(i)));
    return undefined;
  }
  return r.spec;
}

/** Header values: numbers and booleans as such (as a producer's client would send them). */
function parseHeader(h: string): [string, ArgValue] {
  const i = h.indexOf("=");
  if (i <= 0) throw new UsageError(`--header ${JSON.stringify(h)}: expected name=value`);
  const raw = h.slice(i + 1);
  const value: ArgValue = /^-?\d+$/.test(raw)
    ? Number(raw)
    : raw === "true"
      ? true
      : raw === "false"
        ? false
        : raw;
  return [h.slice(0, i), value];
}

/** Every command: `alert` talks to a broker and is asynchronous; the others go through run(). */
export async function runAsync(
  argv: string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv[0] === "alert") return alertCommand(argv.slice(1), io, env);
  return run(argv, io);
}

export function run(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  if (command === "alert") throw new Error("warren alert is asynchronous: call runAsync()");
  // diff and graph parse their own options (cli/review.ts).
  if (command === "diff") return diffCommand(rest, io);
  if (command === "graph") return graphCommand(rest, io);
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        stack: { type: "string" },
        file: { type: "string" },
        vhost: { type: "string" },
        exchange: { type: "string" },
        key: { type: "string" },
        header: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help || command === undefined || command === "help" || command === "--help") {
      io.out(USAGE);
      return command === undefined ? 1 : 0;
    }
    switch (command) {
      case "validate": {
        const spec = loadSpec(values, io);
        if (!spec) return 1;
        const t = spec.topology;
        io.err(
          `valid: ${t.vhosts.length} vhosts, ${t.users.length} users, ${t.exchanges.length} exchanges, ${t.queues.length} queues, ${t.bindings.length} bindings, ${t.policies.length + t.operatorPolicies.length} policies`,
        );
        return 0;
      }
      case "route": {
        for (const f of ["vhost", "exchange", "key"] as const)
          if (values[f] === undefined) throw new UsageError(`route needs --${f}`);
        const spec = loadSpec(values, io);
        if (!spec) return 1;
        const headers = Object.fromEntries((values.header ?? []).map(parseHeader));
        const queues = new RoutingTable(spec.topology).route({
          vhost: values.vhost!,
          exchange: values.exchange!,
          routingKey: values.key!,
          headers,
        });
        queues.forEach((q) => io.out(q));
        return 0;
      }
      case "routes": {
        const spec = loadSpec(values, io);
        if (!spec) return 1;
        if (!spec.alerting) throw new UsageError("this stack has no warren:alerting config");
        formatRoutes(spec.alerting, alertRoutes(spec.alerting, spec.topology))
          .split("\n")
          .forEach((l) => io.out(l));
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof RoutingError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.err(`warren: ${(e as Error).message}`);
      return 1;
    }
    if (
      e instanceof Error &&
      /stack file|not valid YAML|expected a mapping|must be a mapping/.test(e.message)
    ) {
      io.err(`warren: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  const io: Io = {
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
  };
  const argv = process.argv.slice(2);
  // Only `alert` takes the asynchronous path; the reviewers' commands run exactly as before.
  if (argv[0] === "alert")
    runAsync(argv, io).then(
      (code) => (process.exitCode = code),
      (e: Error) => {
        process.stderr.write(`${e.stack ?? e}\n`);
        process.exitCode = 1;
      },
    );
  else process.exitCode = run(argv, io);
}
