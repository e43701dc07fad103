/**
 * What every workerd test project (worker, privacy, fuzz) runs the Worker with: wrangler.toml forwards to
 * Cekura's own hosts and refuses an open key list, so tests inside workerd forward nowhere and accept any key.
 */
export const WORKERD_TEST_BINDINGS = {
  SESSION_IDLE_TIMEOUT_SECONDS: "600",
  CLOSE_GRACE_SECONDS: "30",
  CEKURA_HOST: "",
  CEKURA_OTEL_ENDPOINT: "",
  ALLOW_ANY_KEY: "true",
  INSPECTOR_SECRET: "workerd-tests-inspector-secret-0123456789abcdef",
} as const;
