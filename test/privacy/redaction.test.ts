/**
 * Redaction before storage, Worker side: the deployment's rules (REDACTION in test/privacy/vitest.config.ts:
 * email, card, **.password) plus a session's own rules (sent in its fragments) are applied before anything
 * is written to the session's Durable Object. The redacted values are then found nowhere: not in any DO
 * table (scanned while the session is open and after finalization), not in R2, not in the Worker's
 * outbound requests, not in the spans it holds, not in the inspector's page.
 */
import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { dumpDo, r2KeysFor, r2Bytes } from "../support/workerd/inspect-do.ts";
import { recordOutbound } from "../support/workerd/outbound.ts";
import {
  call,
  cardNumber,
  email,
  fragment,
  freshKey,
  json,
  phone,
  postCustomPattern,
  say,
  spanRequest,
  ukNino,
  uniqueId,
  usSsn,
} from "./support.ts";

const outbound = recordOutbound();
afterEach(() => reset());

const SESSION_RULES = {
  detectors: ["phone", "us_ssn", "uk_nino"],
  fields: ["card.number", "customer.dob"],
  patterns: [{ name: "order_id", pattern: "ORD-\\d{6}" }],
};

function secrets() {
  const card = cardNumber();
  return {
    email: email(),
    card,
    cardSpaced: card.replace(/(\d{4})(?=\d)/g, "$1 "),
    phone: phone(),
    ssn: usSsn(),
    nino: ukNino(),
    order: `ORD-${String(100000 + Math.floor(Math.random() * 899999))}`,
    password: `pw-${crypto.randomUUID()}`,
    fieldCard: `card-field-${crypto.randomUUID()}`,
    dob: `dob-${crypto.randomUUID()}`,
  };
}
type Secrets = ReturnType<typeof secrets>;

function events(s: Secrets) {
  const sentence = `reach me at ${s.email} or ${s.phone}; card ${s.cardSpaced}; card again ${s.card}; ssn ${s.ssn}; NI ${s.nino}; order ${s.order}`;
  return [
    say("user", sentence, 0),
    {
      kind: "tool_call",
      id: "t1",
      name: "charge",
      arguments: JSON.stringify({ card: { number: s.fieldCard }, password: s.password, note: sentence }),
      time: "2026-11-25T12:00:01.000Z",
    },
    {
      kind: "tool_result",
      id: "t1",
      result: JSON.stringify({ ok: true, echo: sentence, nested: [{ password: s.password }] }),
      isError: false,
      time: "2026-11-25T12:00:02.000Z",
    },
    {
      kind: "log",
      level: "info",
      message: `charged ${sentence}`,
      time: "2026-11-25T12:00:03.000Z",
      attributes: { who: s.email, password: s.password },
    },
    {
      kind: "metadata",
      patch: { customer: { dob: s.dob, name: "Jane" }, redact_fields: ["transcript"], password: s.password },
      time: "2026-11-25T12:00:04.000Z",
    },
  ];
}

const values = (s: Secrets) => Object.values(s);

it("redacts before storage: the values are in no DO table, no R2 object, no outbound request, no span and not in the inspector", async () => {
  const key = freshKey();
  const id = uniqueId("redact");
  const s = secrets();
  expect(
    (await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, events(s), { redact: SESSION_RULES }))).status,
  ).toBe(200);
  expect(
    (await call("POST", "/v1/traces", key, spanRequest(id, `caller said ${s.email} ${s.phone} ${s.order}`))).status,
  ).toBe(200);

  // While open: the fragment rows and span rows are redacted (with typed placeholders).
  const open = await dumpDo(id, key);
  for (const value of values(s)) expect(open).not.toContain(value);
  for (const type of ["email", "phone", "card", "us_ssn", "uk_nino", "order_id", "field"])
    expect(open).toContain(`[REDACTED:${type}]`);

  expect((await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0 })).status).toBe(200);
  const status = await json<{ state: string }>(await call("GET", `/v1/sessions/${id}`, key));
  expect(status.state).toBe("finalized");

  const stored = await dumpDo(id, key);
  for (const value of values(s)) expect(stored).not.toContain(value);
  const keys = await r2KeysFor(id);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) {
    const text = new TextDecoder().decode((await r2Bytes(k))!);
    for (const value of values(s)) expect(text).not.toContain(value);
  }
  const record = await (await call("GET", `/v1/sessions/${id}/record`, key)).text();
  expect(record).toContain("[REDACTED:email]");
  // Cekura's own redact_fields passes through untouched (custom metadata is redacted by field paths only).
  expect(JSON.parse(record).metadata.redact_fields).toEqual(["transcript"]);
  expect(JSON.parse(record).metadata.customer).toEqual({ dob: "[REDACTED:field]", name: "Jane" });

  const spans = await (await call("GET", `/v1/traces/${id}`, key)).text();
  expect(spans).toContain("[REDACTED:phone]");
  for (const value of values(s)) expect(spans).not.toContain(value);

  const page = await (await call("GET", `/inspect/${id}`, key)).text();
  expect(page).toContain("[REDACTED:card]");
  for (const value of values(s)) expect(page).not.toContain(value);

  for (const request of outbound.requests) for (const value of values(s)) expect(request.body).not.toContain(value);
});

it("without session rules only the deployment's rules apply (the scan above can fail: a phone number is kept)", async () => {
  const key = freshKey();
  const id = uniqueId("deployment-only");
  const s = secrets();
  expect((await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, events(s)))).status).toBe(200);
  const stored = await dumpDo(id, key);
  // Deployment rules: email, card, **.password.
  for (const value of [s.email, s.card, s.password]) expect(stored).not.toContain(value);
  // Not covered by the deployment's rules: stored as sent.
  for (const value of [s.phone, s.ssn, s.nino, s.order, s.fieldCard, s.dob]) expect(stored).toContain(value);
});

it("a later fragment can add rules but never remove them", async () => {
  const key = freshKey();
  const id = uniqueId("monotonic");
  const first = secrets();
  await call(
    "POST",
    `/v1/sessions/${id}/fragments`,
    key,
    fragment(0, [say("user", `call ${first.phone}`, 0)], { redact: { detectors: ["phone"] } }),
  );
  const second = secrets();
  const res = await call(
    "POST",
    `/v1/sessions/${id}/fragments`,
    key,
    fragment(1, [say("user", `call ${second.phone} order ${second.order}`, 1000)], {
      redact: { patterns: [{ name: "order_id", pattern: "ORD-\\d{6}" }] },
    }),
  );
  expect(res.status).toBe(200);
  const stored = await dumpDo(id, key);
  for (const value of [first.phone, second.phone, second.order]) expect(stored).not.toContain(value);
});

it("answers 400 naming the problem for a catastrophic or invalid custom pattern", async () => {
  const key = freshKey();
  for (const [pattern, words] of [
    ["(a+)+$", "unbounded quantifier"],
    ["(a{1,9}){1,9}", "nested repetition"],
    ["(x)\\1", "backreferences"],
    ["x{0,100000}", "above 256"],
  ] as const) {
    const body = await postCustomPattern(key, pattern);
    expect({ status: body.status, error: body.error }).toEqual({ status: 400, error: "invalid_body" });
    expect(body.detail).toContain("redact.patterns.0.pattern");
    expect(body.detail).toContain(words);
  }
});
