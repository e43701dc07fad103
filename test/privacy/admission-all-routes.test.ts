/**
 * Issue 29 item 5: every route that can create a session goes through the open-session cap
 * (MAX_OPEN_SESSIONS_PER_TENANT = 3 in test/privacy/vitest.config.ts): /consent, /close and
 * /abort-recording as the first contact are refused 429 like /fragments and audio, and create nothing.
 */
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, fragment, freshKey, json, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const intro = { agentId: 42, mode: "observe" };

async function fillCap(key: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const res = await call(
      "POST",
      `/v1/sessions/${uniqueId("adm")}/fragments`,
      key,
      fragment(0, [say("user", "hi", 0)]),
    );
    expect(res.status).toBe(200);
  }
}

describe("open-session cap on every route that creates a session", () => {
  for (const [route, body] of [
    ["consent", intro],
    ["abort-recording", intro],
    ["close", { ...intro, lastSeq: -1 }],
  ] as const) {
    it(`POST /${route} as the first contact past the cap is 429 and creates no session`, async () => {
      const key = freshKey();
      await fillCap(key);
      const id = uniqueId(`adm-${route}`);
      const res = await call("POST", `/v1/sessions/${id}/${route}`, key, body);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("30");
      expect(await json(res)).toMatchObject({ error: "too_many_open_sessions" });
      expect((await call("GET", `/v1/sessions/${id}`, key)).status).toBe(404);
    });
  }

  it("a loop of first-contact /consent calls never holds more than the cap open", async () => {
    const key = freshKey();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call("POST", `/v1/sessions/${uniqueId("adm-loop")}/consent`, key, intro)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });
});
