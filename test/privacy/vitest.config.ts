import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { WORKERD_TEST_BINDINGS } from "../support/workerd/bindings.ts";

/**
 * Privacy controls inside workerd (real SQLite Durable Objects, alarms, R2, the Rate Limiting binding),
 * with the deployment settings they need: deployment redaction rules, a retention period, an open-session
 * cap, and a strict extra rate limiter that a test swaps in for TENANT_RATE_LIMITER.
 */
export const DEPLOYMENT_REDACTION = { detectors: ["email", "card"], fields: ["**.password"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        bindings: {
          ...WORKERD_TEST_BINDINGS,
          REDACTION: JSON.stringify(DEPLOYMENT_REDACTION),
          RETENTION_DAYS: "1",
          MAX_OPEN_SESSIONS_PER_TENANT: "3",
        },
        ratelimits: {
          TENANT_RATE_LIMITER: { simple: { limit: 20000, period: 10 } },
          STRICT_TEST_LIMITER: { simple: { limit: 3, period: 60 } },
        },
      },
    }),
  ],
  test: {
    name: "privacy",
    include: ["**/*.test.ts"],
    testTimeout: 30_000,
  },
});
