import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { WORKERD_TEST_BINDINGS } from "../support/workerd/bindings.ts";

// Worker tests run inside workerd with real SQLite-backed Durable Objects, alarms and R2.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        bindings: WORKERD_TEST_BINDINGS,
      },
    }),
  ],
  test: {
    name: "worker",
    include: ["**/*.test.ts"],
    // Generous: on a loaded 2-core machine a multi-MiB audio test can take several seconds.
    testTimeout: 30_000,
  },
});
