import { defineConfig } from "vitest/config";

export default defineConfig({
  // The include globs below are relative to the repository root, not to this folder.
  root: new URL("..", import.meta.url).pathname,
  test: {
    name: "node",
    dir: new URL("..", import.meta.url).pathname,
    environment: "node",
    // Every test file under test/ except the workerd project's (test/worker/) the privacy and fuzz projects' (test/privacy/, test/fuzz/): a new folder is picked up as is.
    include: ["test/**/*.test.ts"],
    exclude: ["test/worker/**", "test/privacy/**", "**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
