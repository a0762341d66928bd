import { defineConfig } from "vitest/config";

// Process-heavy tests (real codex, tmux, signals) run one file at a time: the machine has 2 cores.
// test/compat (the core against the newest published codex: network, minutes) runs with `npm run test:compat`.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: process.env.CODEX_SUPERVISOR_COMPAT === "1" ? [] : ["test/compat/**"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
