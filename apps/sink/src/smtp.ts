// The sink's SMTP side: mail for channel "email". Any client may send, with or without AUTH (the
// dispatcher's credentials are not checked); a client that resets or drops the connection, even
// inside DATA, ends only its own session.
import { SMTPServer } from "smtp-server";
import { type Outcome, type Sink, handleCall } from "./calls";
import { log } from "./log";

type Reply = (err?: Error | null) => void;

export function createSmtpServer(sink: Sink, maxMessageBytes: number): SMTPServer {
  // Sessions whose client is still connected: a message whose client left while it was delayed
  // is not recorded (see calls.ts).
  const open = new Set<string>();
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    // Announced (RFC 1870) and enforced by smtp-server, which answers 552 beyond it.
    size: maxMessageBytes,
    // On SIGTERM, idle client connections (a dispatcher's pool) are closed after 2 s rather than
    // smtp-server's 30, within `docker stop`'s 10 s: the record is on disk already either way.
    closeTimeout: 2000,
    onConnect(session, cb) {
      open.add(session.id);
      cb();
    },
    onClose(session) {
      open.delete(session.id);
    },
    onAuth: (_auth, _session, cb) => cb(null, { user: "sink" }),
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on("data", (d: Buffer) => {
        bytes += d.length;
        if (bytes <= maxMessageBytes) chunks.push(d);
      });
      stream.on("error", (err) => log("smtp.data-error", { session: session.id, err }));
      stream.on("end", () => {
        if (stream.sizeExceeded) return cb(smtpError(552, `message over ${maxMessageBytes} bytes`));
        handleCall(sink, {
          channel: "email",
          text: Buffer.concat(chunks).toString("utf8"),
          gone: () => !open.has(session.id),
          answer: (outcome) => answerData(cb, outcome),
        });
      });
    },
  });
}

function answerData(cb: Reply, outcome: Outcome): void {
  if (outcome.kind === "accepted") return cb();
  if (outcome.kind === "refused") return cb(smtpError(451, "sink is failing on purpose"));
  if (outcome.kind === "gone") return cb(smtpError(421, "client went away; message not recorded"));
  cb(smtpError(451, "sink could not record the message"));
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}
