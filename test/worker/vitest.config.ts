import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Worker tests run inside workerd with real SQLite-backed Durable Objects, alarms and R2.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        // wrangler.toml forwards to Cekura's own hosts; tests inside workerd forward nowhere.
        bindings: { SESSION_IDLE_TIMEOUT_SECONDS: "600", CLOSE_GRACE_SECONDS: "30", CEKURA_HOST: "", CEKURA_OTEL_ENDPOINT: "",
          ALLOW_ANY_KEY: "true", INSPECTOR_SECRET: "worker-tests-inspector-secret-0123456789abcdef" },
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
