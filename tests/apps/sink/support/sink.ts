// The compiled sink (bin/apps/sink/src/main.js) as a child process on free loopback ports with its
// own data folder, and the clients the sink tests speak to it with: HTTP, nodemailer, raw SMTP.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as nodemailer from "nodemailer";
import { freePorts } from "../../../support/processes";
import { until } from "../../../support/wait";

const MAIN = path.join(__dirname, "../../../../apps/sink/src/main.js");

export interface SinkProcess {
  readonly url: string;
  readonly httpPort: number;
  readonly smtpPort: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** The JSON lines it wrote to stderr so far. */
  logs(): Record<string, unknown>[];
  /** Waits (bounded) for a stderr line of this event whose err.code is `code` when given. */
  logged(event: string, code?: string, timeoutMs?: number): Promise<void>;
  /** Stops it with `signal` and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

/** A fresh data folder, removed by `cleanUp`. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "warren-sink-test-"));
}

/** Kills (by PID) every sink still running and removes the given folders: for `after` hooks. */
export function cleanUp(dirs: string[]): void {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Starts the sink on `dataDir` (the same ports as `previous`, if given: a restart). */
export async function startSink(dataDir: string, previous?: SinkProcess): Promise<SinkProcess> {
  const [httpPort, smtpPort] = previous
    ? [previous.httpPort, previous.smtpPort]
    : await freePorts(2);
  const env = {
    PATH: process.env.PATH ?? "",
    WARREN_SINK_HTTP_PORT: String(httpPort),
    WARREN_SINK_SMTP_PORT: String(smtpPort),
    WARREN_SINK_HOST: "127.0.0.1",
    WARREN_SINK_DATA_DIR: dataDir,
  };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const stdout = lines(child.stdout);
  const stderr = lines(child.stderr);
  const parsed = () => stderr.map((l) => JSON.parse(l) as Record<string, unknown>);
  const seen = (event: string, code?: string) =>
    parsed().some((e) => e.event === event && (code === undefined || errCode(e) === code));
  await until(
    "the sink to listen",
    () => {
      if (child.exitCode !== null) throw new Error(`sink exited: ${stderr.join("\n")}`);
      return stdout.some((l) => l.includes('"event":"listening"'));
    },
    10_000,
  );
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    smtpPort,
    dataDir,
    child,
    logs: parsed,
    logged: async (event, code, timeoutMs = 5000) => {
      await until(`the sink to log ${event} ${code ?? ""}`, () => seen(event, code), timeoutMs);
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

const errCode = (e: Record<string, unknown>) => (e.err as { code?: string } | undefined)?.code;

function lines(stream: NodeJS.ReadableStream): string[] {
  const out: string[] = [];
  let buf = "";
  stream.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

export interface Answer {
  readonly status: number;
  readonly json: unknown;
  /** From sending the request to the answer's end. */
  readonly ms: number;
}

/** One HTTP request; the body, when given, is sent as one Buffer with its content-length. */
export function request(
  sink: SinkProcess,
  method: string,
  p: string,
  body?: Buffer | string,
): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${sink.url}${p}`, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        const json: unknown = text ? JSON.parse(text) : undefined;
        resolve({ status: res.statusCode!, json, ms: performance.now() - t0 });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A webhook call as a gateway gets it: JSON with the alert's `"id"`. */
export const hook = (sink: SinkProcess, channel: string, id: string) =>
  request(sink, "POST", `/hook/${channel}`, JSON.stringify({ id, title: `alert ${id}` }));

export async function deliveries(sink: SinkProcess): Promise<Record<string, string[]>> {
  return (await request(sink, "GET", "/deliveries")).json as Record<string, string[]>;
}

export interface Status {
  readonly starts: number;
  readonly restarts: number;
  readonly deliveries: number;
  readonly startedAt: string;
}

export async function status(sink: SinkProcess): Promise<Status> {
  return (await request(sink, "GET", "/status")).json as Status;
}

/** Sends one mail as the dispatcher does (nodemailer); resolves with the reply code. */
export async function mail(sink: SinkProcess, id: string, text = ""): Promise<number> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: sink.smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({
      from: "warren@example.test",
      to: "oncall@example.test",
      subject: `alert ${id}`,
      text: `${text}\nAlert ID: ${id}\n`,
    });
    return 250;
  } catch (e) {
    const code = (e as { responseCode?: number }).responseCode;
    if (code === undefined) throw e;
    return code;
  } finally {
    transport.close();
  }
}

/** A raw SMTP client: each command's reply code, for sessions nodemailer would not have. */
export class RawSmtp {
  private buf = "";
  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => (this.buf += d.toString()));
  }

  static async connect(port: number): Promise<RawSmtp> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve).once("error", reject);
    });
    const client = new RawSmtp(socket);
    await client.reply();
    return client;
  }

  /** Sends `line` (CRLF added) and resolves with the code of the reply. */
  async command(line: string): Promise<number> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** The next complete reply (its last line is `NNN `), bounded. */
  private async reply(): Promise<number> {
    const last = () => /^(\d{3}) .*\r\n/m.exec(this.buf);
    await until("an SMTP reply", () => last() !== null, 5000, 10);
    const m = last()!;
    this.buf = this.buf.slice(m.index + m[0].length);
    return Number(m[1]);
  }
}

/** Writes `text` on a new connection to the HTTP port and resolves with all it gets back. */
export function rawHttp(sink: SinkProcess, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sink.httpPort, "127.0.0.1", () => socket.write(text));
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(got));
  });
}

/** POSTs `chunks` with chunked transfer encoding (no content-length); resolves with the status. */
export function chunkedPost(sink: SinkProcess, p: string, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${sink.url}${p}`, { method: "POST", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}
