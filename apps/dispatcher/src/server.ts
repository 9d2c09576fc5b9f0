// The HTTP side: /healthz (the process is alive), /readyz (connected and consuming), /metrics.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface ServerDeps {
  readonly registry: Registry;
  /** Whether to answer /readyz with 200, and a word on the state otherwise. */
  readonly readiness: () => { ready: boolean; state: string };
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startServer(
  deps: ServerDeps,
  port: number,
  host?: string,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    switch (path) {
      case "/healthz":
        return send(200, "ok\n");
      case "/readyz": {
        const r = deps.readiness();
        return r.ready ? send(200, "ready\n") : send(503, `not ready: ${r.state}\n`);
      }
      case "/metrics":
        deps.registry.metrics().then(
          (text) => send(200, text, deps.registry.contentType),
          (e: Error) => send(500, `metrics: ${e.message}\n`),
        );
        return;
      default:
        return send(404, "not found\n");
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
