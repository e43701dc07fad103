import { describe, expect, it } from "vitest";
import { sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

// Cekura listens for a track call only for a window after it ends (5 min; 10 s here). A track call the agent
// never closes is finalized by the idle timeout with endedAt = its last activity: that must leave time to
// deliver inside the window. SESSION_IDLE_TIMEOUT_SECONDS (12 s) is longer than the window on purpose.
const h = useForwardHarness({ FORWARD_TRACK_WINDOW_SECONDS: "10", SESSION_IDLE_TIMEOUT_SECONDS: "12" });

describe("an unclosed track call", () => {
  it("is finalized by the idle timeout in time to reach Cekura's stand-in inside the window", async () => {
    const id = sessionId("track-unclosed");
    const client = h.api();
    const sent = await client.fragment(id, sampleFragment("track"));
    expect(sent.status).toBe(200);
    // No close(): the agent crashed or forgot it.
    const forward = await client.waitForward(id, ["delivered", "dead_letter"], 30_000);
    expect(forward).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
    const runs = h.requests(id);
    expect(runs).toHaveLength(1);
    const call = (runs[0]!.body as { calls: { id: string; endedReason: string }[] }).calls[0]!;
    expect(call).toMatchObject({ id, endedReason: "idle-timeout" });
  }, 45_000);
});
