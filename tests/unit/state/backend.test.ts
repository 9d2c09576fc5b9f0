// scripts/state/backend.sh: the state backend `npm run up` and `npm run preview` hand the engine.
// The default file backend writes no `.attrs` sidecars (metadata=skip), so a killed run cannot
// leave a torn one; a user's own file backend URL without it gets one note, others none.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, rmSync } from "fs";
import * as os from "os";
import * as path from "path";
import { after, describe, it } from "node:test";
import { PROJECT_DIR } from "../../support/program";

const tmp = mkdtempSync(path.join(os.tmpdir(), "warren-backend-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Sources backend.sh, calls warren_backend REPO (twice), prints the URL it exported. */
function backend(repo: string, url: string) {
  const lib = path.join(PROJECT_DIR, "scripts/state/backend.sh");
  const r = spawnSync(
    "bash",
    [
      "-c",
      `. "$0"; warren_backend "$1"; warren_backend "$1"; printf %s "$PULUMI_BACKEND_URL"`,
      lib,
      repo,
    ],
    {
      encoding: "utf8",
      env: { ...process.env, PULUMI_BACKEND_URL: url, WARREN_BACKEND_NOTED: "" },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return { url: r.stdout, err: r.stderr };
}

describe("warren_backend", () => {
  it("defaults to the repo's file backend without sidecars, and creates its folder", () => {
    const repo = path.join(tmp, "repo");
    const r = backend(repo, "");
    assert.equal(r.url, `file://${repo}/.warren/state?metadata=skip`);
    assert.equal(r.err, "");
    assert.ok(existsSync(path.join(repo, ".warren/state")));
  });

  it("keeps a user's file backend, creates its folder (not the query), and notes it once", () => {
    const dir = path.join(tmp, "mine");
    const r = backend(tmp, `file://${dir}?no_tmp_dir=1`);
    assert.equal(r.url, `file://${dir}?no_tmp_dir=1`);
    assert.ok(existsSync(dir));
    assert.equal(r.err.match(/without \?metadata=skip/g)?.length, 1, r.err);
  });

  it("says nothing about a file backend that has metadata=skip, or one that is not a file", () => {
    for (const url of [`file://${tmp}/x?no_tmp_dir=1&metadata=skip`, "s3://bucket/warren"])
      assert.deepEqual(backend(tmp, url), { url, err: "" });
  });
});
