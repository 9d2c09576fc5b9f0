// A TCP proxy between the producer and the test broker that can hold the broker's bytes at an
// AMQP frame boundary (confirms, closes) and inject frames of its own (connection.blocked), so a
// test decides exactly when the client learns what the broker did: in-flight messages at a
// connection close, a confirm that never comes, a resource alarm, all without timing races.
import * as net from "node:net";

export interface HoldingProxy {
  /** Loopback port clients connect to. */
  readonly port: number;
  /** From the next frame boundary on, keeps the broker's bytes instead of passing them on. */
  hold(): void;
  /** Passes on what was held (and a close that came meanwhile), then everything as it comes. */
  release(): void;
  /** Sends a frame to every client at a frame boundary (while holding: before the held bytes). */
  inject(frame: Buffer): void;
  /** Client connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** AMQP 0-9-1 method frame on channel 0. */
export function methodFrame(
  classId: number,
  methodId: number,
  args: Buffer = Buffer.alloc(0),
): Buffer {
  const payload = Buffer.concat([
    Buffer.from([classId >> 8, classId & 255, methodId >> 8, methodId & 255]),
    args,
  ]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([0xce])]);
}

/** connection.blocked (10, 60) with a reason, as RabbitMQ sends on a memory or disk alarm. */
export function blockedFrame(reason: string): Buffer {
  const r = Buffer.from(reason);
  return methodFrame(10, 60, Buffer.concat([Buffer.from([r.length]), r]));
}

/** connection.unblocked (10, 61). */
export function unblockedFrame(): Buffer {
  return methodFrame(10, 61);
}

/** Follows frame boundaries in a byte stream: 7-byte header (type, channel, size), payload, 0xCE. */
class FrameCursor {
  private need = 0;
  private head: number[] = [];

  get atBoundary(): boolean {
    return this.need === 0 && this.head.length === 0;
  }

  /** Consumes chunk[from..]; with `stopAtBoundary`, stops where the frame in progress ends. Returns the index reached. */
  advance(chunk: Buffer, from: number, stopAtBoundary: boolean): number {
    let i = from;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary) return i;
      if (this.need === 0) {
        this.head.push(chunk[i++]);
        if (this.head.length === 7) {
          this.need = Buffer.from(this.head).readUInt32BE(3) + 1;
          this.head = [];
        }
      } else {
        const take = Math.min(this.need, chunk.length - i);
        i += take;
        this.need -= take;
      }
    }
    return i;
  }
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly cursor: FrameCursor;
  held: Buffer[];
  pendingInject: Buffer[];
  upstreamEnded: boolean;
}

export async function startHoldingProxy(target: {
  host: string;
  port: number;
}): Promise<HoldingProxy> {
  const pairs = new Set<Pair>();
  let holding = false;
  let accepted = 0;

  const flushInjects = (p: Pair) => {
    if (!p.cursor.atBoundary) return;
    for (const f of p.pendingInject.splice(0)) p.client.write(f);
  };

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target);
    const p: Pair = {
      client,
      upstream,
      cursor: new FrameCursor(),
      held: [],
      pendingInject: [],
      upstreamEnded: false,
    };
    pairs.add(p);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => {
      upstream.destroy();
      pairs.delete(p);
    });
    client.on("data", (d) => {
      if (!upstream.destroyed) upstream.write(d);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!holding && p.held.length === 0) {
        p.cursor.advance(chunk, 0, false);
        client.write(chunk);
        flushInjects(p);
        return;
      }
      if (p.held.length > 0) {
        p.held.push(chunk);
        return;
      }
      const cut = p.cursor.advance(chunk, 0, true);
      if (cut > 0) client.write(chunk.subarray(0, cut));
      flushInjects(p);
      if (cut < chunk.length) p.held.push(chunk.subarray(cut));
    });
    upstream.on("close", () => {
      p.upstreamEnded = true;
      if (!holding && p.held.length === 0) client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get accepted() {
      return accepted;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const p of pairs) {
        for (const chunk of p.held.splice(0)) {
          p.cursor.advance(chunk, 0, false);
          p.client.write(chunk);
        }
        if (p.upstreamEnded) p.client.end();
      }
    },
    inject(frame) {
      for (const p of pairs) {
        p.pendingInject.push(frame);
        flushInjects(p);
      }
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
