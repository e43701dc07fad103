import { expect, it } from "vitest";
import { CekuraTracer, type SdkError, ValidationError } from "../../sdk/index.ts";

it("refuses a time outside 2000-2100 at the recording call, so the Worker never refuses the whole fragment for it", async () => {
  const sent: string[] = [];
  const errors: SdkError[] = [];
  const cekura = new CekuraTracer({
    onError: (e) => errors.push(e),
    apiKey: "k",
    agentId: 1,
    ingestUrl: "http://127.0.0.1:9",
    env: {},
    fetch: async (input: RequestInfo | URL) => {
      sent.push(String(input instanceof Request ? input.url : input));
      return Response.json({ ackedThrough: 0, missing: [], state: "open" });
    },
  });
  const s = cekura.observe({ sessionId: "time-range" });
  // Refused, not thrown: reported through onError and counted (issue 30).
  s.transcript({ role: "user", text: "then", startedAt: Date.UTC(1999, 11, 31, 23, 59, 59) });
  expect(errors[0]).toBeInstanceOf(ValidationError);
  s.transcript({ role: "user", text: "later", startedAt: Date.UTC(2026, 0, 1), endedAt: Date.UTC(2100, 0, 1) });
  expect(errors[1]?.message).toMatch(/2000-01-01 to 2100-01-01/);
  expect(s.stats().dropped.invalidCalls).toBe(2);
  expect(() =>
    s.transcript({
      role: "user",
      text: "now",
      startedAt: Date.UTC(2026, 0, 1),
      endedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
    }),
  ).not.toThrow();
  await s.flush();
  expect(sent.some((url) => url.endsWith("/v1/sessions/time-range/fragments"))).toBe(true);
});
