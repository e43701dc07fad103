import { describe, expect, it } from "vitest";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";

// Cekura listens for a track call only 5 minutes after it ends; here that window is 3 s, so the test is short.
const h = useForwardHarness({ FORWARD_TRACK_WINDOW_SECONDS: "3" });

describe("track mode's delivery window", () => {
  it("dead-letters a track forward whose retry would land after the window, saying so", async () => {
    const id = sessionId("track-late");
    h.standIn.plan({ endpoint: "track", status: 503, retryAfter: 10 });
    const client = await h.runCall(id, "track");
    const forward = await client.settled(id);
    expect(forward.status).toBe("dead_letter");
    expect(forward.attempts).toBe(1);
    expect(forward.lastError).toMatch(
      /^Cekura listens for a track call only 3 s after it ends \(.+\); next attempt at .+ would be too late; last: HTTP 503/,
    );
    expect(h.requests(id)).toHaveLength(1);
  });

  it("still delivers a track call whose retries fit in the window", async () => {
    const id = sessionId("track-in-time");
    h.standIn.failNext(1, 503, "track");
    const client = await h.runCall(id, "track");
    const forward = await client.settled(id);
    expect(forward).toMatchObject({ status: "delivered", attempts: 2 });
    expect(h.standIn.runs().filter((r) => h.requests(id).includes(r))).toHaveLength(1);
  });
});
