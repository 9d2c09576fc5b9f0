// A loopback HTTP proxy in front of a broker's management API that lets a test stop a `pulumi up`
// at an exact point: it forwards everything, except that once `passImports` vhost definitions
// imports (`POST /api/definitions/<vhost>`) have gone through, it holds every later import
// unanswered. The crash test (tests/integration/crash.test.ts) waits for `caught()`: some vhosts'
// objects are on the broker, the rest are not and cannot arrive, so "in the middle" does not
// depend on polling fast enough. `cut()` then acts as the broker's machine going away: held and
// open connections are reset, new ones refused (the port is closed); `reopen()` listens on the
// same port again and forwards everything, so the stack's `managementUrl` stays the same.
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Gate {
  /** The URL to give the stack as `warren:broker.managementUrl`. */
  readonly url: string;
  /** Resolves once `passImports` imports were answered and a later one is held. */
  caught(): Promise<{ imported: string[]; held: string[] }>;
  /** Resets every open connection (held ones included) and stops accepting new ones. */
  cut(): Promise<void>;
  /** Listens on the same port again, forwarding every request (nothing is held any more). */
  reopen(): Promise<void>;
  /** Stops it for good. */
  close(): Promise<void>;
}

const IMPORT = /^\/api\/definitions\/([^/?]+)/;

export async function startGate(target: string, passImports: number): Promise<Gate> {
  const upstream = new URL(target);
  let agent = new http.Agent({ keepAlive: true });
  const imported: string[] = [];
  const held: string[] = [];
  let holding = true;
  let onCaught: (() => void) | undefined;
  const caught = new Promise<void>((resolve) => (onCaught = resolve));
  const check = () => {
    if (imported.length >= passImports && held.length > 0) onCaught?.();
  };
  const sockets = new Set<Socket>();
  // Imports forwarded but not yet answered: they count against `passImports` so that no more
  // than that many get through, whatever their timing.
  const passing = new Set<http.IncomingMessage>();

  const server = http.createServer((req, res) => {
    const m = req.method === "POST" ? IMPORT.exec(req.url ?? "") : null;
    const vhost = m ? decodeURIComponent(m[1]) : undefined;
    if (vhost !== undefined && holding && imported.length + passing.size >= passImports) {
      held.push(vhost);
      check();
      return; // never answered: the client waits until the connection is reset or it dies
    }
    if (vhost !== undefined) passing.add(req);
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("end", () => {
          if (vhost !== undefined && passing.delete(req)) {
            imported.push(vhost);
            check();
          }
        });
      },
    );
    out.on("error", () => res.socket?.destroy());
    req.pipe(out);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      agent.destroy();
      agent = new http.Agent({ keepAlive: true });
    });
  const port = await listen(0);
  let open = true;
  const shut = async () => {
    if (!open) return;
    open = false;
    await stop();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    caught: async () => {
      await caught;
      return { imported: [...imported], held: [...held] };
    },
    cut: shut,
    reopen: async () => {
      holding = false;
      if (open) return;
      await listen(port);
      open = true;
    },
    close: shut,
  };
}
