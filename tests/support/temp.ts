// A test file's own temp folder, removed after the file's tests, and files written into it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export interface TempFiles {
  readonly dir: string;
  /** Writes `text` to `dir/name`; returns the path. (A function, not a method: destructure it.) */
  readonly file: (name: string, text: string) => string;
}

/** Call at a test file's top level: the folder goes in that file's `after` hook. */
export function tempFiles(prefix: string): TempFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name, text) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    },
  };
}
