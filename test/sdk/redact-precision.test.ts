/**
 * Issue 27 defect 2 + detector precision: the precision corpus (ids, times, versions, prices, tracking
 * numbers) comes out unchanged with every detector on, and the recall corpus (PII in sentences) is fully
 * redacted. Both rates are printed.
 */
import { expect, it } from "vitest";
import { createRedactor, DETECTORS } from "../../sdk/redact.ts";
import { PRECISION_CORPUS, RECALL_CORPUS } from "./redact-corpus.ts";

const all = createRedactor({ detectors: [...DETECTORS] });

it(`precision: ${PRECISION_CORPUS.length} non-PII strings come out unchanged with every detector on`, () => {
  const changed = PRECISION_CORPUS.filter((s) => all.text(s) !== s).map((s) => `${s} -> ${all.text(s)}`);
  const rate = (PRECISION_CORPUS.length - changed.length) / PRECISION_CORPUS.length;
  console.log(
    `redaction precision corpus: ${PRECISION_CORPUS.length - changed.length}/${PRECISION_CORPUS.length} unchanged (${(rate * 100).toFixed(1)}%), ${changed.length} false positives`,
  );
  expect(PRECISION_CORPUS.length).toBeGreaterThanOrEqual(300);
  expect(changed).toEqual([]);
});

it(`recall: ${RECALL_CORPUS.length} sentences with PII are fully redacted`, () => {
  const missed = RECALL_CORPUS.filter(({ text, secrets }) => {
    const out = all.text(text);
    return secrets.some((s) => out.includes(s)) || !out.includes("[REDACTED:");
  }).map(({ text }) => `${text} -> ${all.text(text)}`);
  const rate = (RECALL_CORPUS.length - missed.length) / RECALL_CORPUS.length;
  console.log(
    `redaction recall corpus: ${RECALL_CORPUS.length - missed.length}/${RECALL_CORPUS.length} redacted (${(rate * 100).toFixed(1)}%), ${missed.length} missed`,
  );
  expect(RECALL_CORPUS.length).toBeGreaterThanOrEqual(100);
  expect(missed).toEqual([]);
});

it("keeps a session id, an epoch timestamp and digits glued to letters (the ids the old card detector destroyed)", () => {
  const card = createRedactor({ detectors: ["card"] });
  for (const s of [
    "probe2-1796446120774",
    "1796446120774",
    "sess4111111111111111",
    "4111111111111111x",
    "9" + "4111111111111111",
    "4111111111111111" + "0",
  ])
    expect(card.text(s)).toBe(s);
  expect(card.text("card 4111111111111111.")).toBe("card [REDACTED:card].");
});

it("checks numbers in JSON values with the card detector (tool results, log attributes, OTLP intValue)", () => {
  const r = createRedactor({ detectors: ["card"] });
  expect(JSON.parse(r.jsonText('{"card":4111111111111111,"ts":1796446120774,"n":[5555555555554444]}'))).toEqual({
    card: "[REDACTED:card]",
    ts: 1796446120774,
    n: ["[REDACTED:card]"],
  });
  expect(r.json({ card: 4111111111111111, ts: 1796446120774 })).toEqual({ card: "[REDACTED:card]", ts: 1796446120774 });
  const span = r.otlp({ attributes: [{ key: "pan", value: { intValue: "4111111111111111" } }] });
  expect(JSON.stringify(span)).not.toContain("4111111111111111");
});
