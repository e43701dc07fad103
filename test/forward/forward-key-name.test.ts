import { afterEach, describe, expect, it, vi } from "vitest";
import { readForwardConfig } from "../../worker/forward/forward-config.ts";
import type { Env } from "../../worker/env.ts";

afterEach(() => vi.restoreAllMocks());

// CEKURA_API_KEY named three things (the SDK's key, this override, the demo's key): the Worker's override
// is CEKURA_FORWARD_API_KEY; the old name still works for one release, with a warning.
describe("the Worker's forwarding key override", () => {
  it("is read from CEKURA_FORWARD_API_KEY", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(readForwardConfig({ CEKURA_FORWARD_API_KEY: " new-key " } as Env).apiKeyOverride).toBe("new-key");
    expect(warn).not.toHaveBeenCalled();
  });

  it("still accepts the old CEKURA_API_KEY, warning that it is deprecated", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(readForwardConfig({ CEKURA_API_KEY: "old-key" } as Env).apiKeyOverride).toBe("old-key");
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(
      /CEKURA_API_KEY .*deprecated.*CEKURA_FORWARD_API_KEY/,
    );
  });

  it("prefers the new name when both are set", () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const env = { CEKURA_FORWARD_API_KEY: "new-key", CEKURA_API_KEY: "old-key" } as Env;
    expect(readForwardConfig(env).apiKeyOverride).toBe("new-key");
  });
});
