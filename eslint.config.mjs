// ESLint (flat config) for warren: typescript-eslint with type information, over every TypeScript
// file of the root tsconfig.json (the program, its components, CLI, policies, apps, benches,
// scripts and tests). `npm run lint`; .ci/run runs it after the type check.
import eslint from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Build outputs, installed packages, the prebuilt toolchain, the engine's work folders. Golden
  // files under tests/fixtures/ are not JavaScript or TypeScript, so ESLint never reads them; the
  // fixtures' .ts helpers are linted like any other test code.
  globalIgnores(["bin/", "**/node_modules/", ".toolchain/", ".warren/", "apps/*/dist/"]),
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program for the whole tree, the one `npm run typecheck` checks: every linted .ts
        // file is in tsconfig.json's "include". (The apps' own tsconfigs compile the same sources
        // for their images; their settings differ only in rootDir/outDir.)
        project: "./tsconfig.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      // An eslint-disable comment that no longer disables anything is an error, so they do not
      // outlive the code they were written for.
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // No template literals with Pulumi Outputs: an Output<T> is an object whose toString() is a
      // warning text, not its value (use pulumi.interpolate or .apply). Objects, arrays, `any`,
      // `unknown`, nullish values and never are refused in `${}`; strings, numbers, booleans, and
      // Error/URL/URLSearchParams (whose toString is meaningful) are allowed.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        {
          allowAny: false,
          allowArray: false,
          allowBoolean: true,
          allowNever: false,
          allowNullish: false,
          allowNumber: true,
          allowRegExp: true,
          allow: [{ from: "lib", name: ["Error", "URL", "URLSearchParams"] }],
        },
      ],
      // The same hole through `+`: "x" + output.
      "@typescript-eslint/restrict-plus-operands": [
        "error",
        {
          allowAny: false,
          allowBoolean: false,
          allowNullish: false,
          allowNumberAndString: true,
          allowRegExp: false,
        },
      ],
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's describe()/it() return promises the runner itself tracks and reports;
          // awaiting them at the top of a test file is neither needed nor customary. Subtests
          // (t.test()) are still checked: those must be awaited.
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "suite", "test"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // A `return promise` inside try/catch skips the catch (and finally runs too early) unless
      // it is awaited.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      // Deliberately unused names start with an underscore (an interface's argument a handler
      // does not need, a tuple element skipped in a destructuring).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrors: "all",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // JavaScript config files (this one): not in tsconfig.json, so no type information.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
