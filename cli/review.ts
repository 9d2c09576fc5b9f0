// `warren diff` and `warren graph`: what a change does to a stack's topology and alert routing,
// and the topology as a diagram. Thin: reading and parsing here, the logic in review/.
import { parseArgs } from "util";
import { formatIssue } from "../components/core/issues";
import { type WarrenSpec, parseWarrenConfig } from "../components/config/spec";
import { readStackConfig } from "../components/config/stack-file";
import { BaseError, loadBase } from "./git";
import { mermaidGraph } from "../review/graph";
import { markdownReport, textReport } from "../review/report";
import { exitCode, reviewChange } from "../review/review";
import type { Io } from "./io";

export const DIFF_USAGE = `usage: warren diff [--stack NAME] [--base GIT_REF | --base-file PATH] [--format text|markdown] [--graph]
  Compares Pulumi.<NAME>.yaml in the working tree with the same file at the base: by default the
  merge base of HEAD with origin/main, else with main, else HEAD. --graph (markdown only) adds the
  new topology as a Mermaid diagram. Exit 0: nothing needs approval; 2: it does (a queue is
  replaced or deleted, a vhost deleted and recreated, or an alert (severity, channel) pair loses
  delivery); 1: an error.`;

export const GRAPH_USAGE = `usage: warren graph [--stack NAME | --file PATH]
  Prints the topology as a Mermaid flowchart.`;

/** Runs `fn`, turning the errors a user can act on into `warren: ...` and exit code 1. */
function guarded(io: Io, fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    if (
      e instanceof BaseError ||
      err.code?.startsWith("ERR_PARSE_ARGS") ||
      /stack file|not valid YAML|expected a mapping|must be a mapping/.test(err.message ?? "")
    ) {
      io.err(`warren: ${err.message}`);
      return 1;
    }
    throw e;
  }
}

function parseSide(config: Record<string, unknown>, what: string, io: Io): WarrenSpec | undefined {
  const r = parseWarrenConfig(config);
  if (r.ok) return r.spec;
  io.err(`warren: ${what} is not valid:`);
  r.issues.forEach((i) => io.err(formatIssue(i)));
  return undefined;
}

export function diffCommand(args: string[], io: Io): number {
  return guarded(io, () => {
    const { values } = parseArgs({
      args,
      options: {
        stack: { type: "string", default: "dev" },
        base: { type: "string" },
        "base-file": { type: "string" },
        format: { type: "string", default: "text" },
        graph: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      io.out(DIFF_USAGE);
      return 0;
    }
    const usage = (message: string) => {
      io.err(`warren: ${message}`);
      return 1;
    };
    if (values.base !== undefined && values["base-file"] !== undefined)
      return usage("give --base or --base-file, not both");
    if (values.format !== "text" && values.format !== "markdown")
      return usage(`--format must be text or markdown, got ${JSON.stringify(values.format)}`);
    if (values.graph && values.format !== "markdown")
      return usage("--graph needs --format markdown");
    const stack = values.stack;
    const projectDir = process.cwd();
    const file = `Pulumi.${stack}.yaml`;

    const after = parseSide(readStackConfig({ stack, projectDir }), `${file} (working tree)`, io);
    if (!after) return 1;
    const base = loadBase({ projectDir, stack, ref: values.base, file: values["base-file"] });
    let before: WarrenSpec | undefined;
    if (base.config) {
      before = parseSide(base.config, `${base.source} (base)`, io);
      if (!before) return 1;
    }

    const review = reviewChange(before, after);
    const meta = { stack, base: base.label, head: "working tree", baseFile: file };
    const report =
      values.format === "markdown"
        ? markdownReport(review, meta, values.graph ? mermaidGraph(after.topology) : undefined)
        : textReport(review, meta);
    report.split("\n").forEach((l) => io.out(l));
    return exitCode(review);
  });
}

export function graphCommand(args: string[], io: Io): number {
  return guarded(io, () => {
    const { values } = parseArgs({
      args,
      options: {
        stack: { type: "string" },
        file: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      io.out(GRAPH_USAGE);
      return 0;
    }
    if (values.stack !== undefined && values.file !== undefined) {
      io.err("warren: give --stack or --file, not both");
      return 1;
    }
    const config = readStackConfig({ stack: values.stack, file: values.file });
    const spec = parseSide(config, values.file ?? `Pulumi.${values.stack ?? "dev"}.yaml`, io);
    if (!spec) return 1;
    mermaidGraph(spec.topology)
      .split("\n")
      .forEach((l) => io.out(l));
    return 0;
  });
}
