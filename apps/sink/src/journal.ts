// The sink's record, kept on disk so that a restarted sink still knows what it accepted: an
// append-only JSONL file of deliveries and a count of starts, both in one data folder.
//
// Durability: a delivery is written (write(2) returned) before the client is told it was
// accepted, without fsync. What the record must survive is the process going away (a crash, a
// SIGKILL, the OOM killer, `docker restart`): the kernel's page cache holds the line from the
// moment write(2) returns, whatever becomes of the process. A host that loses power is not a case
// the dev stack survives anyway (the broker's and Docker's own state go with it), and an fsync per
// delivery would block the event loop for milliseconds at a time and skew the latencies that
// tests measure through the sink.
import * as fs from "node:fs";
import * as path from "node:path";
import { log } from "./log";

export interface Delivery {
  readonly id: string;
  /** When the sink accepted it, in ms since the epoch. */
  readonly t: number;
}

export const DELIVERIES_FILE = "deliveries.jsonl";
export const STARTS_FILE = "starts";

export class Journal {
  private readonly byChannel = new Map<string, Delivery[]>();
  private total = 0;
  /** Bytes of complete lines in the file: where a failed write is cut back to. */
  private size = 0;

  private constructor(
    private readonly dir: string,
    private readonly fd: number,
    private startCount: number,
  ) {}

  /** Opens (creating it if need be) the record in `dir`, loads it, and counts this start. */
  static open(dir: string): Journal {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, DELIVERIES_FILE);
    const starts = readStarts(dir) + 1;
    writeStarts(dir, starts);
    const journal = new Journal(dir, fs.openSync(file, "a"), starts);
    journal.load(file);
    return journal;
  }

  get starts(): number {
    return this.startCount;
  }

  get count(): number {
    return this.total;
  }

  /** Records a delivery on disk, then in memory; throws (recording nothing) if the write fails. */
  append(channel: string, id: string, t = Date.now()): void {
    const line = Buffer.from(JSON.stringify({ t, channel, id }) + "\n");
    try {
      for (let off = 0; off < line.length;) off += fs.writeSync(this.fd, line, off);
    } catch (err) {
      // A short write (disk full) must not leave half a line for the next one to be glued to.
      tryTruncate(this.fd, this.size);
      throw err;
    }
    this.size += line.length;
    this.remember(channel, { id, t });
  }

  /** Forgets every delivery, on disk and in memory (the start count stays). */
  truncate(): void {
    fs.ftruncateSync(this.fd, 0);
    this.size = 0;
    this.byChannel.clear();
    this.total = 0;
  }

  /** Counts from 1 again, as if this were the first start. */
  resetStarts(): void {
    writeStarts(this.dir, 1);
    this.startCount = 1;
  }

  /** Alert ids per channel, in arrival order, duplicates kept. */
  ids(): Record<string, string[]> {
    return Object.fromEntries([...this.byChannel].map(([c, ds]) => [c, ds.map((d) => d.id)]));
  }

  /** Deliveries with their times per channel, in arrival order. */
  detail(): Record<string, Delivery[]> {
    return Object.fromEntries(this.byChannel);
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private remember(channel: string, d: Delivery): void {
    let list = this.byChannel.get(channel);
    if (!list) this.byChannel.set(channel, (list = []));
    list.push(d);
    this.total++;
  }

  /**
   * Loads the file. An incomplete last line (the process died inside a write) is dropped from the
   * file too, so that the next line is not appended to it.
   */
  private load(file: string): void {
    const data = fs.readFileSync(file);
    const end = data.lastIndexOf(0x0a) + 1;
    if (end < data.length) {
      log("journal.torn-line-dropped", { file, bytes: data.length - end });
      fs.ftruncateSync(this.fd, end);
    }
    this.size = end;
    const lines = data.subarray(0, end).toString("utf8").split("\n");
    lines.pop(); // after the last newline: empty
    for (const [i, line] of lines.entries()) {
      const entry = parseLine(line);
      if (entry) this.remember(entry.channel, { id: entry.id, t: entry.t });
      else log("journal.bad-line-skipped", { file, line: i + 1, text: line.slice(0, 200) });
    }
  }
}

function parseLine(line: string): { t: number; channel: string; id: string } | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    const ok = typeof v.t === "number" && typeof v.channel === "string" && typeof v.id === "string";
    return ok ? (v as { t: number; channel: string; id: string }) : undefined;
  } catch {
    return undefined;
  }
}

function readStarts(dir: string): number {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, STARTS_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  const n = Number(text.trim());
  if (Number.isSafeInteger(n) && n >= 0) return n;
  log("journal.bad-starts-file", { text: text.slice(0, 50) });
  return 0;
}

/** Replaces the count whole (write, then rename), so a crash leaves the old count or the new. */
function writeStarts(dir: string, n: number): void {
  const file = path.join(dir, STARTS_FILE);
  fs.writeFileSync(`${file}.tmp`, `${n}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

function tryTruncate(fd: number, size: number): void {
  try {
    fs.ftruncateSync(fd, size);
  } catch (err) {
    log("journal.truncate-failed", { err });
  }
}
