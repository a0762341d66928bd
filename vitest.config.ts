import { defineConfig } from "vitest/config";

// Process-heavy tests (real codex, tmux, signals) run one file at a time: the machine has 2 cores.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
