// The base of `warren diff`, read from real git histories in temp repositories: the default base
// (merge base with origin/main, else main, else HEAD), files at a commit, and the errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BaseError, loadBase, readAtCommit, resolveBase, stackConfigOf } from "../../../cli/git";
import { TempRepo, withTempRepo } from "../../support/git-repo";

const withRepo = (fn: (r: TempRepo) => void, init = true) => withTempRepo("warren-base-", fn, init);

describe("resolveBase", () => {
  it("prefers the merge base with origin/main, then with main, then HEAD", () => {
    withRepo((r) => {
      const remote = new TempRepo("warren-origin-", false);
      try {
        remote.git("init", "--quiet", "--bare");
        r.git("remote", "add", "origin", remote.dir);
        const pushed = r.commit("A: pushed");
        r.git("push", "--quiet", "origin", "main");
        const local = r.commit("B: main, not pushed");
        r.git("checkout", "--quiet", "-b", "feature");
        const head = r.commit("C: the feature");
        assert.deepEqual(resolveBase(r.dir), {
          label: "merge base of HEAD and origin/main",
          commit: pushed,
        });
        r.git("remote", "remove", "origin");
        assert.deepEqual(resolveBase(r.dir), {
          label: "merge base of HEAD and main",
          commit: local,
        });
        r.git("branch", "--move", "main", "trunk");
        assert.deepEqual(resolveBase(r.dir), { label: "HEAD", commit: head });
      } finally {
        remote.remove();
      }
    });
  });

  it("takes an explicit ref as given", () => {
    withRepo((r) => {
      const first = r.commit("first");
      r.commit("second");
      assert.deepEqual(resolveBase(r.dir, "HEAD~1"), { label: "HEAD~1", commit: first });
      assert.throws(
        () => resolveBase(r.dir, "no-such-branch"),
        new BaseError('git ref "no-such-branch" names no commit'),
      );
    });
  });

  it("explains an empty repository and a folder outside git", () => {
    withRepo((r) => {
      assert.throws(
        () => resolveBase(r.dir),
        new BaseError(
          "HEAD names no commit yet (an empty repository); give --base REF or --base-file PATH",
        ),
      );
    });
    withRepo((r) => {
      assert.throws(
        () => resolveBase(r.dir),
        (e: Error) =>
          e instanceof BaseError &&
          /is not in a git repository .*; give the base as --base-file PATH$/.test(e.message),
      );
    }, false);
  });
});

describe("readAtCommit", () => {
  it("reads a file relative to a project folder inside the repository, or nothing if the commit lacks it", () => {
    withRepo((r) => {
      r.write("infra/Pulumi.test.yaml", "config: {}\n");
      const c = r.commit("infra");
      const project = `${r.dir}/infra`;
      assert.equal(readAtCommit(project, c, "Pulumi.test.yaml"), "config: {}\n");
      assert.equal(readAtCommit(project, c, "Pulumi.none.yaml"), undefined);
      assert.equal(
        readAtCommit(r.dir, c, "Pulumi.test.yaml"),
        undefined,
        "the path is relative to the project folder",
      );
    });
  });
});

describe("loadBase", () => {
  it("labels the base with its ref and short commit and parses the stack file's config", () => {
    withRepo((r) => {
      r.write("Pulumi.test.yaml", "config:\n  warren:environment: dev\n");
      const c = r.commit("base");
      assert.deepEqual(loadBase({ projectDir: r.dir, stack: "test", ref: "main" }), {
        label: `main (${c.slice(0, 7)})`,
        source: "main:Pulumi.test.yaml",
        config: { "warren:environment": "dev" },
      });
      assert.deepEqual(loadBase({ projectDir: r.dir, stack: "other", ref: "main" }), {
        label: `main (${c.slice(0, 7)})`,
        source: "main:Pulumi.other.yaml",
        config: undefined,
      });
    });
  });

  it("names the ref and file of a base that is not valid YAML", () => {
    withRepo((r) => {
      r.write("Pulumi.test.yaml", "config: [\n");
      r.commit("broken");
      assert.throws(
        () => loadBase({ projectDir: r.dir, stack: "test", ref: "main" }),
        (e: Error) =>
          e instanceof BaseError && e.message.startsWith("main:Pulumi.test.yaml: not valid YAML: "),
      );
    });
  });

  it("reads --base-file without git and names a file it cannot read", () => {
    withRepo((r) => {
      r.write("old.yaml", "config:\n  warren:environment: prod\n");
      assert.deepEqual(loadBase({ projectDir: r.dir, stack: "test", file: `${r.dir}/old.yaml` }), {
        label: `${r.dir}/old.yaml`,
        source: `${r.dir}/old.yaml`,
        config: { "warren:environment": "prod" },
      });
      assert.throws(
        () => loadBase({ projectDir: r.dir, stack: "test", file: `${r.dir}/none.yaml` }),
        new BaseError(`${r.dir}/none.yaml: cannot read the base file (ENOENT)`),
      );
    }, false);
  });
});

describe("stackConfigOf", () => {
  it("accepts an empty file or one without config, and rejects other shapes", () => {
    assert.deepEqual(stackConfigOf("", "f"), {});
    assert.deepEqual(stackConfigOf("encryptionsalt: x\n", "f"), {});
    assert.throws(
      () => stackConfigOf("- a\n", "f"),
      new BaseError("f: expected a mapping at the top"),
    );
    assert.throws(
      () => stackConfigOf("config: [a]\n", "f"),
      new BaseError('f: "config" must be a mapping'),
    );
  });
});
