import { defineConfig } from "vitest/config";

export default defineConfig({
  // The include globs below are relative to the repository root, not to this folder.
  root: new URL("..", import.meta.url).pathname,
  test: {
    name: "node",
    dir: new URL("..", import.meta.url).pathname,
    environment: "node",
    include: ["test/{sdk,runtimes,forward,e2e,inspect,consent,audio,otel,adapters,chaos}/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
