// Entry point: configuration from the environment, then a dispatcher until SIGTERM or SIGINT.
// Exit codes: 0 after a graceful stop, 2 for a bad configuration, 1 for a crash.
import { parseConfig } from "./config";
import { Dispatcher } from "./dispatcher";
import { createLogger } from "./log";

function main(): void {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    const log = createLogger();
    for (const e of parsed.errors)
      log.error(`invalid configuration: ${e}`, { variable: e.slice(0, e.indexOf(":")) });
    process.exit(2);
  }
  const d = new Dispatcher(parsed.config);
  for (const w of parsed.warnings) d.log.warn(w);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      d.log.warn("second signal: exiting now; the broker delivers unacknowledged alerts again", {
        signal,
      });
      process.exit(1);
    }
    d.log.info("stopping", { signal });
    d.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        d.log.error("stop failed", { error: e });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const crash = (what: string) => (e: unknown) => {
    // Unacked deliveries go back to the queue when the connection drops: nothing is lost.
    d.log.error(what, { error: e });
    process.exit(1);
  };
  process.on("uncaughtException", crash("uncaught exception"));
  process.on("unhandledRejection", crash("unhandled rejection"));

  d.start().catch(crash("cannot start"));
}

main();
