/**
 * Issue 27 defects 1-3 and issue 29 items 7 and 13, Worker side, under the deployment's REDACTION (email,
 * card, **.password) plus a session's rules: every string of a span is redacted before storage (array and
 * kvlist attributes, span names, status messages, events, links, resource and scope attributes), ids and
 * timestamps survive, a card sent as a JSON number is redacted, a dotted attribute key can be named, and a
 * backtracking-prone custom pattern is refused with 400.
 */
import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { dumpDo } from "../support/workerd/inspect-do.ts";
import { call, cardNumber, email, fragment, freshKey, hex, postCustomPattern, say } from "./support.ts";

afterEach(() => reset());

const str = (s: string) => ({ stringValue: s });

it("redacts every string of a span before storage, and keeps the session id and timestamps", async () => {
  const key = freshKey();
  const id = `probe2-${Date.UTC(2026, 10, 25, 12)}`; // an id the old card detector turned into probe[REDACTED:card]
  const mail = email();
  const card = cardNumber();
  const sessionRules = { detectors: ["phone"], fields: ["gen_ai.prompt"] };
  const epoch = String(Date.UTC(2026, 10, 25, 12, 0, 0, 774));
  expect(
    (
      await call(
        "POST",
        `/v1/sessions/${id}/fragments`,
        key,
        fragment(0, [say("user", `session ${id} at ${epoch}`, 0)], { redact: sessionRules }),
      )
    ).status,
  ).toBe(200);
  const start = BigInt(Date.now()) * 1_000_000n;
  const traceId = hex(32);
  const body = {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: str("agent") },
            { key: "owner", value: str(mail) },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "agent", attributes: [{ key: "contact", value: str(`card ${card}`) }] },
            spans: [
              {
                traceId,
                spanId: hex(16),
                name: `lookup ${mail}`,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 1_000_000n),
                attributes: [
                  { key: "conversation.id", value: str(id) },
                  { key: "started", value: str(epoch) },
                  { key: "list", value: { arrayValue: { values: [str(mail), str("+14155550155")] } } },
                  { key: "kv", value: { kvlistValue: { values: [{ key: "pan", value: { intValue: card } }] } } },
                  { key: "gen_ai.prompt", value: str("my secret prompt") },
                ],
                events: [
                  {
                    name: `failed for ${mail}`,
                    timeUnixNano: String(start),
                    attributes: [{ key: "e", value: str(card) }],
                  },
                ],
                links: [{ traceId: hex(32), spanId: hex(16), attributes: [{ key: "l", value: str(mail) }] }],
                status: { code: 2, message: `ValueError: bad card ${card}` },
              },
            ],
          },
        ],
      },
    ],
  };
  expect((await call("POST", "/v1/traces", key, body)).status).toBe(200);
  expect(
    (
      await call(
        "POST",
        `/v1/sessions/${id}/fragments`,
        key,
        fragment(1, [
          {
            kind: "tool_result",
            id: "t1",
            result: `{"card":${card},"at":${epoch}}`,
            isError: false,
            time: "2026-11-25T12:00:02.000Z",
          },
          {
            kind: "log",
            level: "info",
            message: "m",
            time: "2026-11-25T12:00:03.000Z",
            attributes: { [mail]: "key is an email" },
          },
        ]),
      )
    ).status,
  ).toBe(200);
  const stored = await dumpDo(id, key);
  for (const secret of [mail, card, "4155550155", "my secret prompt"]) expect(stored).not.toContain(secret);
  for (const type of ["email", "card", "phone", "field"]) expect(stored).toContain(`[REDACTED:${type}]`);
  expect(stored).toContain(id);
  expect(stored).toContain(epoch);
  expect(stored).not.toContain("probe[REDACTED");
});

it("refuses the worst backtracking shapes in a fragment's custom patterns with 400", async () => {
  const key = freshKey();
  for (const pattern of [
    "\\d{0,200}\\d{0,200}c",
    "(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)(?:\\d|\\d)c",
    "\\d?\\d?\\d?\\d?\\d?\\d?\\d?\\d?\\d?\\d?c",
  ]) {
    const body = await postCustomPattern(key, pattern);
    expect({ pattern, status: body.status, error: body.error }).toEqual({
      pattern,
      status: 400,
      error: "invalid_body",
    });
    expect(body.detail).toMatch(/redact\.patterns\.0\.pattern: .*backtracking/);
  }
});
