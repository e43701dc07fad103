import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { WORKERD_TEST_BINDINGS } from "../support/workerd/bindings.ts";

// Property-based fuzzing inside workerd against the real Worker (SELF.fetch), with real SQLite-backed
// Durable Objects, alarms and R2. A short close grace lets a session closed with gaps finalize quickly.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        bindings: { ...WORKERD_TEST_BINDINGS, CLOSE_GRACE_SECONDS: "0.05" },
      },
    }),
  ],
  test: {
    name: "fuzz",
    include: ["**/*.test.ts"],
    testTimeout: 300_000,
  },
});
