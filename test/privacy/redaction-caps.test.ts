/**
 * The session's caps count what is stored: events after redaction. A placeholder can be longer than what
 * it replaces (`a@b.io` becomes `[REDACTED:email]`), so events under the cap as sent can pass it once redacted.
 */
import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { SESSION_CAPS } from "../../worker/session/caps.ts";
import { call, fragment, freshKey, json, say, uniqueId } from "./support.ts";

afterEach(() => reset());

it("refuses with 413 the fragment that would pass the eventBytes cap once redacted, though it is under the cap as sent", async () => {
  const key = freshKey();
  const id = uniqueId("redaction-cap");
  // 60,000 characters of short email addresses; about 2.4 times as long once redacted.
  const text = "a@b.io ".repeat(60_000 / 7);
  const events = (seq: number) => Array.from({ length: 10 }, (_, i) => say("user", text, seq * 10_000 + i));
  const sentBytes = new TextEncoder().encode(JSON.stringify(events(0))).byteLength;

  let sent = 0;
  let refusedAt: number | undefined;
  for (let seq = 0; seq < 20 && refusedAt === undefined; seq++) {
    const res = await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(seq, events(seq)));
    if (res.status === 200) {
      sent += sentBytes;
      continue;
    }
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ error: "session_limit_exceeded" });
    refusedAt = seq;
  }
  expect(refusedAt, "a fragment was refused at the cap").toBeDefined();
  // As sent, the session was still far under the cap when the redacted events reached it.
  expect(sent + sentBytes).toBeLessThan(SESSION_CAPS.eventBytes * 0.6);

  const status = (await json(await call("GET", `/v1/sessions/${id}`, key))) as { counts: { fragments: number } };
  expect(status.counts.fragments).toBe(refusedAt);
});
