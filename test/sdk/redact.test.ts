/** sdk/redact.ts on its own: each detector's hits and misses, field paths, and the custom-pattern guard. */
import { describe, expect, it } from "vitest";
import { checkPattern, createRedactor, mergeRules, parseRedactionRules, type DetectorName } from "../../sdk/redact.ts";

const only = (d: DetectorName) => createRedactor({ detectors: [d] });

describe("built-in detectors", () => {
  it.each([
    ["email", "write to jane.doe+x@example.co.uk today", "write to [REDACTED:email] today"],
    ["card", "card 4111 1111 1111 1111 ok", "card [REDACTED:card] ok"],
    ["card", "card 4111-1111-1111-1111 ok", "card [REDACTED:card] ok"],
    ["card", "card 4111111111111112 fails Luhn", "card 4111111111111112 fails Luhn"],
    ["phone", "+44 20 7946 0958", "[REDACTED:phone]"],
    ["phone", "(555) 123-4567 or 555.123.4567", "[REDACTED:phone] or [REDACTED:phone]"],
    ["phone", "at 2026-11-25T12:00:00.000Z, 1234 ms, port 8787", "at 2026-11-25T12:00:00.000Z, 1234 ms, port 8787"],
    ["us_ssn", "ssn 123-45-6789 / 123 45 6789", "ssn [REDACTED:us_ssn] / [REDACTED:us_ssn]"],
    [
      "us_ssn",
      "not 000-12-3456, 666-12-3456, 123-00-4567 or 123-45-0000",
      "not 000-12-3456, 666-12-3456, 123-00-4567 or 123-45-0000",
    ],
    ["uk_nino", "NI AB 12 34 56 C and ab123456d", "NI [REDACTED:uk_nino] and [REDACTED:uk_nino]"],
    ["uk_nino", "not GB123456A or AB123456E", "not GB123456A or AB123456E"],
  ] as [DetectorName, string, string][])("%s: %j", (detector, input, output) => {
    expect(only(detector).text(input)).toBe(output);
  });
});

it("redacts field paths (* one key, ** any depth, arrays transparent) in JSON text, and scans the other strings", () => {
  const r = createRedactor({ fields: ["card.number", "*.email", "**.password"], detectors: ["phone"] });
  const out = JSON.parse(
    r.jsonText(
      JSON.stringify({
        card: { number: "4111", exp: "12/29" },
        user: { email: "a@b.io" },
        list: [{ deep: { password: 1 } }],
        note: "call 555-123-4567",
      }),
    ),
  );
  expect(out).toEqual({
    card: { number: "[REDACTED:field]", exp: "12/29" },
    user: { email: "[REDACTED:field]" },
    list: [{ deep: { password: "[REDACTED:field]" } }],
    note: "call [REDACTED:phone]",
  });
});

it("redacts metadata by fields only, so Cekura's redact_fields and customer_number pass", () => {
  const r = createRedactor({ fields: ["customer.dob"], detectors: ["phone"] });
  const e = r.event({
    kind: "metadata",
    patch: { customer: { dob: "1990-01-01" }, customer_number: "+15550001111", redact_fields: ["transcript"] },
    time: "2026-11-25T12:00:00.000Z",
  });
  expect(e.patch).toEqual({
    customer: { dob: "[REDACTED:field]" },
    customer_number: "+15550001111",
    redact_fields: ["transcript"],
  });
});

it("caps a text that redaction made longer than the protocol's limit", () => {
  const r = createRedactor({ detectors: ["email"] });
  const text = "a@b.co ".repeat(9000);
  const e = r.event(
    {
      kind: "transcript",
      role: "user",
      text,
      startedAt: "2026-11-25T12:00:00.000Z",
      endedAt: "2026-11-25T12:00:00.000Z",
    },
    65_536,
  );
  expect(e.text.length).toBe(65_536);
  expect(e.text.startsWith("[REDACTED:email] [REDACTED:email]")).toBe(true);
});

it("is the identity without rules", () => {
  const r = createRedactor(undefined);
  expect(r.active).toBe(false);
  expect(r.text("jane@example.com")).toBe("jane@example.com");
});

it("merges rule sets by union", () => {
  expect(
    mergeRules(
      { detectors: ["email"], fields: ["a"] },
      { detectors: ["card", "email"], patterns: [{ name: "x", pattern: "X\\d{2}" }] },
    ),
  ).toEqual({
    fields: ["a"],
    detectors: ["email", "card"],
    patterns: [{ name: "x", pattern: "X\\d{2}" }],
  });
});

describe("custom patterns are guarded against catastrophic backtracking", () => {
  it.each(["ORD-\\d{6}", "(?:ab){2}", "(?<id>AB\\d{4})", "\\bAcct[ -]?\\d{8}\\b", "[A-Z]{2}\\d{1,12}"])(
    "accepts %j",
    (p) => expect(checkPattern(p)).toBeUndefined(),
  );
  it.each([
    ["(a+)+$", "unbounded"],
    ["a*b", "unbounded"],
    ["a{2,}", "unbounded"],
    ["(?:a|aa){1,20}", "nested repetition"],
    ["(a{1,9}){1,9}", "nested repetition"],
    ["(x)\\1", "backreferences"],
    ["(?=a)a", "lookahead"],
    ["x{0,1000}", "above 256"],
    ["\\d{0,200}\\d{0,200}\\d{0,200}\\d{0,200}\\d{0,200}\\d{0,200}", "backtracking"],
    ["a?", "empty string"],
    ["(", "valid regular expression"],
  ])("refuses %j (%s)", (p, why) => expect(checkPattern(p)).toContain(why));
  it("names the path of a bad rule", () => {
    expect(parseRedactionRules({ patterns: [{ name: "ok", pattern: "a+" }] })).toContain("redact.patterns.0.pattern");
    expect(parseRedactionRules({ detectors: ["dna"] })).toContain("redact.detectors.0");
    expect(parseRedactionRules({ fields: ["a..b"] })).toContain("redact.fields.0");
    expect(parseRedactionRules({ other: 1 })).toContain("redact.other");
  });
  it("a guarded pattern over 64 KiB of adversarial text finishes quickly (no catastrophic backtracking)", () => {
    const r = createRedactor({ patterns: [{ name: "p", pattern: "(?:ab){1,3}\\d{0,200}c" }] });
    expect(r.text(`${"ab".repeat(100)}${"1".repeat(65_000)}`).length).toBeGreaterThan(0);
  });
});
