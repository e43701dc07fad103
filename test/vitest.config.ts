import { defineConfig } from "vitest/config";

// Three projects: tests inside workerd (worker/, and privacy/ with deployment settings), and Node-side tests that drive the real local
// Worker over 127.0.0.1 (SDK in Node, Deno, Bun and workerd; forwarding; e2e).
export default defineConfig({
  test: {
    projects: ["test/worker/vitest.config.ts", "test/privacy/vitest.config.ts", "test/vitest.node.config.ts"],
  },
});
