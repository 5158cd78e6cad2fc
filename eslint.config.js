// `eslint .` runs in `npm test`. It is here for promise bugs and real defects, not style: typescript-eslint's
// type-checked recommended rules, typed by tsconfig.json (src, test, bench, scripts), less the rules below that
// only police `any` or style.
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "build-bench/", "coverage/", "data/", "src/store/generated/"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The root config files are outside tsconfig.json's `include`.
        projectService: { allowDefaultProject: ["*.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise returned inside try/catch/finally without `await` escapes the catch and the finally.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      // Tests and the database layer read JSON and raw rows as `any` on purpose; tsc checks what is typed.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Style: an `async` function without `await` still returns a promise, and a redundant assertion is harmless.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // tsc's noUnusedLocals and noUnusedParameters report these already.
      "@typescript-eslint/no-unused-vars": "off",
      // The fake servers declare the object their routes read before they can build it.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
