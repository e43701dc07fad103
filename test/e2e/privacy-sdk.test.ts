/**
 * Privacy end to end in Node: the SDK (with `redact`) -> the real local Worker (wrangler dev on workerd,
 * with deployment rules in REDACTION) -> the Cekura stand-in (records and OTLP spans), all on 127.0.0.1.
 * The redacted values appear in none of the SDK's own requests (so they never left the process), none of
 * the stand-in's requests, no R2 object, and not in the inspector; a Worker-side-only client is redacted
 * by the Worker; erasing a call that reached Cekura says that Cekura's copy must be deleted there.
 */
import { gunzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { listStoredKeys, readStoredObject } from "../support/r2-read.ts";
import { KEY, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

// The harness points CEKURA_OTEL_ENDPOINT at the stand-in's collector.
const h = useForwardHarness({ REDACTION: JSON.stringify({ detectors: ["email"] }) });

const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(Math.random() * 10))).join("");
function luhnCard(): string {
  const body = `5${1 + (Number(digits(1)) % 5)}${digits(13)}`; // Mastercard 51-55: the card detector checks the issuer prefix
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

/** Every request body the SDK sent, decompressed, as text. */
const sdkBodies: string[] = [];
async function recordingFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const bytes = new Uint8Array(await request.clone().arrayBuffer());
  const text =
    request.headers.get("content-encoding") === "gzip"
      ? gunzipSync(bytes).toString("utf8")
      : new TextDecoder().decode(bytes);
  sdkBodies.push(text);
  return fetch(request);
}

/** The values the first test had redacted (the last test scans R2 for them). */
const redactedValues: string[] = [];
const received = () => JSON.stringify(h.standIn.received.map((r) => r.body));

it("SDK redaction: the values never leave the process, and neither Cekura, R2 nor the inspector sees them", async () => {
  const id = sessionId("sdk-redact");
  const secret = {
    email: `ann.${digits(6)}@example.org`,
    card: luhnCard(),
    phone: `+1 415 ${digits(3)} ${digits(4)}`,
    ssn: `${200 + Number(digits(2))}-${10 + Number(digits(1))}-${1000 + Number(digits(3))}`,
    token: `tok_${crypto.randomUUID()}`,
  };
  const cekura = h.tracer({ fetch: recordingFetch });
  const s = cekura.observe({
    sessionId: id,
    redact: { detectors: ["email", "card", "phone", "us_ssn"], fields: ["payment.token"] },
    customMetadata: { redact_fields: ["transcript"] },
  });
  const turn = s.startTurn();
  turn.stt({ provider: "deepgram" }).text(`my email is ${secret.email}`).end();
  s.transcript({ role: "user", text: `card ${secret.card}, call me on ${secret.phone}, ssn ${secret.ssn}` });
  s.toolCall({ id: "c1", name: "pay", arguments: { payment: { token: secret.token }, email: secret.email } });
  s.toolResult({ id: "c1", result: { receiptFor: secret.email } });
  s.log("info", `paid by ${secret.email}`, { phone: secret.phone });
  turn.end();
  const status = await s.close({ reason: "customer-ended-call" });
  expect(status.state).toBe("finalized");
  expect((await h.api().settled(id)).status).toBe("delivered");
  // The spans (the stt span carries the transcript) reach the stand-in's OTLP endpoint too.
  await h.standIn.waitFor((r) => r.some((x) => x.endpoint === "traces" && JSON.stringify(x.body).includes(id)), 20_000);

  const values = Object.values(secret);
  const sent = sdkBodies.join("\n");
  expect(sent).toContain("[REDACTED:card]"); // the SDK did send the call: the checks below can fail
  for (const v of values) expect(sent).not.toContain(v);
  expect(h.requests(id)).toHaveLength(1);
  const atCekura = received();
  expect(atCekura).toContain("[REDACTED:email]");
  expect(JSON.stringify(h.standIn.received.filter((r) => r.endpoint === "traces").map((r) => r.body))).toContain(
    "my email is [REDACTED:email]",
  );
  for (const v of values) expect(atCekura).not.toContain(v);
  // Cekura's own redact_fields passes through as a top-level field.
  expect(h.requests(id)[0]!.body).toMatchObject({ redact_fields: ["transcript"] });
  const page = await (
    await fetch(`${h.worker.url}/inspect/${id}`, { headers: { authorization: `Bearer ${KEY}` } })
  ).text();
  expect(page).toContain("[REDACTED:phone]");
  for (const v of values) expect(page).not.toContain(v);
  redactedValues.push(...values);
});

it("a client without SDK redaction is redacted by the Worker (session rules from its fragment, deployment rules from REDACTION)", async () => {
  const id = sessionId("worker-redact");
  const email = `bob.${digits(6)}@example.net`;
  const order = `ORD-${digits(6)}`;
  const fragment = sampleFragment("observe", {
    redact: { patterns: [{ name: "order_id", pattern: "ORD-\\d{6}" }] },
  }) as ReturnType<typeof sampleFragment> & { events: { kind: string; text?: string }[] };
  fragment.events.push({
    kind: "transcript",
    role: "user",
    text: `it is ${email}, order ${order}`,
    startedAt: fragment.sentAt,
    endedAt: fragment.sentAt,
  } as never);
  const client = h.api();
  expect((await client.fragment(id, fragment)).status).toBe(200);
  expect((await client.close(id, { lastSeq: 0 })).json.state).toBe("finalized");
  expect((await client.settled(id)).status).toBe("delivered");
  const atCekura = JSON.stringify(h.requests(id)[0]!.body);
  expect(atCekura).toContain("[REDACTED:order_id]");
  expect(atCekura).toContain("[REDACTED:email]");
  for (const v of [email, order]) expect(atCekura).not.toContain(v);
});

it("erasing a call Cekura already has answers that Cekura's copy must be deleted in Cekura, and leaves no R2 object", async () => {
  const id = sessionId("erase-forwarded");
  const client = h.api();
  expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
  await client.close(id, { lastSeq: 0 });
  expect((await client.settled(id)).status).toBe("delivered");
  const erased = await client.call("DELETE", `/v1/sessions/${id}`);
  expect(erased.status).toBe(200);
  expect(erased.json).toMatchObject({ state: "erased", forwardedToCekura: true });
  expect(String(erased.json.cekura)).toContain("delete Cekura's copy in Cekura");
  expect((await client.status(id)).json).toMatchObject({ state: "erased" });

  // R2 as stored on disk, read with the Worker stopped.
  await h.worker.stop();
  const keys = await listStoredKeys(h.worker.persistTo, "");
  expect(keys.filter((k) => k.includes(id))).toEqual([]);
  const secrets = redactedValues;
  expect(secrets.length).toBeGreaterThan(0);
  for (const key of keys) {
    const text = new TextDecoder().decode((await readStoredObject(h.worker.persistTo, key)) ?? new Uint8Array());
    for (const v of secrets) expect(text).not.toContain(v);
  }
  await h.restartWorker();
});
