// Start-up tuning for large stacks. The Pulumi SDK records a stack trace for every promise it
// creates (runtime/debuggable.js, for its leak report) and several promises per resource: at
// 10,000 broker objects that was most of the program's time and memory. Our own errors are
// reported without stack traces (RunError), so short traces lose nothing users see.
// WARREN_STACK_TRACE_LIMIT overrides the limit when debugging the program itself.
import * as v8 from "v8";

export function tuneForLargeStacks(): void {
  const limit = Number(process.env.WARREN_STACK_TRACE_LIMIT ?? 1);
  Error.stackTraceLimit = Number.isFinite(limit) && limit >= 0 ? limit : 1;
  // Resources make many short-lived objects; a larger young generation means fewer scavenges.
  v8.setFlagsFromString("--max-semi-space-size=64");
}
