/**
 * Issue 27 defects 1 and 3, issue 29 item 13: one walk over OTLP visits every string (attribute values
 * at any depth, span names, status messages, events, links, resource and scope attributes); field paths
 * name dotted keys; object keys in tool arguments and log attributes are scanned too.
 */
import { expect, it } from "vitest";
import { createRedactor, parseRedactionRules, redactOtlpBody } from "../../sdk/redact.ts";

const EMAIL = "a@b.com";
const PHONE = "+14155550155";
const CARD = "4111111111111111";
const str = (s: string) => ({ stringValue: s });

function request() {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "owner", value: str(`owner ${EMAIL}`) }] },
        scopeSpans: [
          {
            scope: { name: "agent", version: "1.2.3", attributes: [{ key: "contact", value: str(PHONE) }] },
            spans: [
              {
                traceId: "5b8efff798038103d269b633813fc60c",
                spanId: "eee19b7ec3c1b174",
                name: `lookup ${EMAIL}`,
                startTimeUnixNano: "1796446120774000000",
                attributes: [
                  { key: "conversation.id", value: str("probe2-1796446120774") },
                  { key: "list", value: { arrayValue: { values: [str(EMAIL), str(PHONE)] } } },
                  {
                    key: "nested",
                    value: {
                      kvlistValue: {
                        values: [
                          { key: "deep", value: { arrayValue: { values: [{ arrayValue: { values: [str(CARD)] } }] } } },
                          { key: "n", value: { intValue: CARD } },
                        ],
                      },
                    },
                  },
                  { key: "gen_ai.prompt", value: str("tell me a secret") },
                ],
                events: [{ name: `failed for ${EMAIL}`, attributes: [{ key: "e", value: str(PHONE) }] }],
                links: [
                  {
                    traceId: "5b8efff798038103d269b633813fc60d",
                    spanId: "eee19b7ec3c1b175",
                    attributes: [{ key: "l", value: str(EMAIL) }],
                  },
                ],
                status: { code: 2, message: `ValueError: bad card ${CARD}` },
              },
            ],
          },
        ],
      },
    ],
  };
}

it("visits every string of an OTLP request: arrays, kvlists, names, status, events, links, resource and scope", () => {
  const r = createRedactor({ detectors: ["email", "phone", "card"], fields: ["gen_ai.prompt"] });
  const out = JSON.stringify(r.otlp(request()));
  for (const secret of [EMAIL, PHONE, CARD, "tell me a secret"]) expect(out).not.toContain(secret);
  // Ids, times and the scope's name/version are kept.
  for (const kept of ["probe2-1796446120774", "1796446120774000000", "5b8efff798038103d269b633813fc60c", '"1.2.3"'])
    expect(out).toContain(kept);
  const body = new TextDecoder().decode(redactOtlpBody(r, new TextEncoder().encode(JSON.stringify(request()))));
  for (const secret of [EMAIL, PHONE, CARD]) expect(body).not.toContain(secret);
});

it("field paths name dotted keys: as written, and as a bracketed literal segment", () => {
  expect(parseRedactionRules({ fields: ["[gen_ai.prompt]", "attrs.[a.b]", "**.[x.y]"] })).not.toBeTypeOf("string");
  const r = createRedactor({ fields: ["gen_ai.prompt", "attrs.[a.b]"] });
  expect(
    r.json({ "gen_ai.prompt": "p", gen_ai: { prompt: "q", other: "kept" }, attrs: { "a.b": "x", a: { b: "y" } } }),
  ).toEqual({
    "gen_ai.prompt": "[REDACTED:field]",
    gen_ai: { prompt: "[REDACTED:field]", other: "kept" },
    attrs: { "a.b": "[REDACTED:field]", a: { b: "y" } },
  });
  const span = r.otlp({
    attributes: [
      { key: "gen_ai.prompt", value: str("p") },
      { key: "gen_ai.other", value: str("kept") },
    ],
  });
  expect(JSON.stringify(span)).toBe(
    JSON.stringify({
      attributes: [
        { key: "gen_ai.prompt", value: str("[REDACTED:field]") },
        { key: "gen_ai.other", value: str("kept") },
      ],
    }),
  );
});

it("scans object keys in tool arguments and log attributes", () => {
  const r = createRedactor({ detectors: ["email"] });
  expect(JSON.parse(r.jsonText(JSON.stringify({ [EMAIL]: { "x@y.org": 1, plain: 2 }, "z@y.org": 3 })))).toEqual({
    "[REDACTED:email]": { "[REDACTED:email]": 1, plain: 2 },
    "[REDACTED:email] (2)": 3,
  });
  const log = r.event({
    kind: "log",
    level: "info",
    message: "m",
    time: "2026-11-25T12:00:00.000Z",
    attributes: { [EMAIL]: "v" },
  });
  expect(JSON.stringify(log)).not.toContain(EMAIL);
});
