// One dispatcher: the adapter for its channel, the consumer, metrics and the health server, with
// start and graceful stop. main.ts runs one from the environment; tests run them in-process.
import { createAdapter } from "./adapters";
import type { Adapter } from "./adapters/types";
import type { Config } from "./config";
import { Consumer } from "./consumer";
import { type Logger, Redactor, createLogger } from "./log";
import { type Metrics, createMetrics } from "./metrics";
import { type HealthServer, startServer } from "./server";

export interface DispatcherOptions {
  /** Where log lines go. @default stdout */
  readonly writeLog?: (line: string) => void;
  /** Replaces the adapter built from the config (tests). */
  readonly adapter?: Adapter;
  /** Process metrics (CPU, memory, event loop) on /metrics. @default true */
  readonly defaultMetrics?: boolean;
  /** See ConsumerDeps.requeueDelayMs. */
  readonly requeueDelayMs?: number;
}

export class Dispatcher {
  readonly log: Logger;
  readonly metrics: Metrics;
  private readonly adapter: Adapter;
  private readonly consumer: Consumer;
  private server?: HealthServer;
  private stopping?: Promise<void>;

  constructor(
    readonly config: Config,
    opts: DispatcherOptions = {},
  ) {
    const redactor = new Redactor();
    for (const u of config.amqpUrls) redactor.addUrl(u);
    for (const s of config.secrets) redactor.addUrl(s);
    this.log = createLogger(
      { level: config.logLevel, write: opts.writeLog, redactor },
      { channel: config.channel },
    );
    this.metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
    this.adapter = opts.adapter ?? createAdapter(config);
    this.consumer = new Consumer({
      config,
      adapter: this.adapter,
      metrics: this.metrics,
      log: this.log,
      redactor,
      requeueDelayMs: opts.requeueDelayMs,
    });
  }

  /** Starts the health server, then connecting and consuming (in the background). */
  async start(): Promise<void> {
    const { http } = this.config;
    this.server = await startServer(
      {
        registry: this.metrics.registry,
        readiness: () => ({ ready: this.consumer.ready, state: this.consumer.status }),
      },
      http.port,
      http.host,
    );
    this.log.info("started", {
      kind: this.config.target.kind,
      queue: this.config.queue,
      httpPort: this.server.port,
      prefetch: this.config.prefetch,
      concurrency: this.config.concurrency,
      retryDelays: this.config.retryDelays,
      maxAttempts: this.config.maxAttempts,
    });
    this.consumer.start();
  }

  get ready(): boolean {
    return this.consumer.ready;
  }

  get httpPort(): number | undefined {
    return this.server?.port;
  }

  /** The AMQP connection's client-provided name, as the broker lists it. */
  get connectionName(): string {
    return this.consumer.connectionName;
  }

  get inFlight(): number {
    return this.consumer.inFlightCount;
  }

  /** Graceful stop; the health server answers (not ready) until the consumer is done. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const t0 = performance.now();
      await this.consumer.stop();
      await this.adapter.close();
      await this.server?.close();
      this.log.info("stopped", { ms: Math.round(performance.now() - t0) });
    })();
    return this.stopping;
  }
}
