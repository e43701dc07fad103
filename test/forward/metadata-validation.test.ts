/**
 * Metadata Cekura would refuse is refused where it enters (the SDK throws, the Worker answers 400),
 * so a user's metadata can never dead-letter a call at forward time.
 */
import { describe, expect, it } from "vitest";
import { CekuraTracer, ValidationError } from "../../sdk/index.ts";
import { at, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

const h = useForwardHarness();

const reported: unknown[] = [];
const tracer = () => h.tracer({ enableOtelTraces: false, onError: (e) => reported.push(e) });

/** The ValidationError a call threw, or (recording calls never throw) reported through onError. */
function thrown(run: () => unknown): ValidationError {
  const before = reported.length;
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  expect(reported.length).toBe(before + 1);
  expect(reported[before]).toBeInstanceOf(ValidationError);
  return reported[before] as ValidationError;
}

describe("lifted metadata fields are checked where they enter", () => {
  it("the SDK refuses with a ValidationError naming the field: reported from setCustomMetadata, thrown from observe() and track()", async () => {
    const s = tracer().observe({ sessionId: sessionId("meta-sdk") });
    const number = thrown(() => s.setCustomMetadata({ customer_number: 15550001111 }));
    expect(number.field).toBe("customer_number");
    expect(number.message).toMatch(/customer_number must be a string/);
    expect(thrown(() => s.setCustomMetadata({ dynamic_variables: ["x"] })).field).toBe("dynamic_variables");
    expect(thrown(() => s.setCustomMetadata({ redact_fields: ["ssn", 3] })).message).toMatch(
      /redact_fields must hold only non-empty strings; item 1/,
    );
    expect(thrown(() => s.setCustomMetadata({ cekura_tracer: {} })).field).toBe("cekura_tracer");
    expect(s.getCustomMetadata()).toEqual({}); // nothing of a refused patch was kept
    s.setCustomMetadata({ customer_number: "+15550001111", redact_fields: ["ssn"], plan: 1 });
    s.setCustomMetadata({ customer_number: null }); // null deletes: always fine
    expect(s.getCustomMetadata()).toEqual({ redact_fields: ["ssn"], plan: 1 });
    await s.abort();

    expect(thrown(() => tracer().observe({ customMetadata: { redact_fields: "ssn" } })).field).toBe("redact_fields");
    expect(thrown(() => tracer().track({ customMetadata: { run_id: 7 } })).field).toBe("run_id");
    expect(thrown(() => tracer().track({ customMetadata: { to_phone_number: "" } })).field).toBe("to_phone_number");
    // Each mode checks its own fields: in track, customer_number is ordinary metadata.
    const track = tracer().track({ customMetadata: { customer_number: 15550001111 } });
    expect(track.getCustomMetadata()).toEqual({ customer_number: 15550001111 });
    await track.abort();
  });

  it("the Worker answers 400 at fragment time, naming the event and field, and keeps nothing of it", async () => {
    const id = sessionId("meta-worker");
    const fragment = sampleFragment("track", {
      events: [{ kind: "metadata", patch: { run_id: 7, plan: "gold" }, time: at(0) }],
    });
    const res = await h.api().fragment(id, fragment);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/events\.0\.patch\.run_id: must be a string/);
    expect((await h.api().status(id)).status).toBe(404);
    const reserved = await h
      .api()
      .fragment(
        id,
        sampleFragment("observe", { events: [{ kind: "metadata", patch: { cekura_tracer: 1 }, time: at(0) }] }),
      );
    expect(reserved.status).toBe(400);
    expect(reserved.json.detail).toMatch(/events\.0\.patch\.cekura_tracer: is reserved/);
  });

  it("an SDK call with the lifted fields set is delivered with them, and tells Cekura the SDK and runtime", async () => {
    const s = tracer().observe({
      sessionId: sessionId("meta-delivered"),
      customMetadata: { customer_number: "+15550001111", dynamic_variables: { tier: "gold" } },
    });
    s.transcript({ role: "user", text: "hello" });
    expect(await s.close({ reason: "customer-ended-call" })).toMatchObject({ state: "finalized" });
    expect((await h.api().waitForward(s.id, ["delivered", "dead_letter"])).status).toBe("delivered");
    const body = h.requests(s.id)[0]!.body as Record<string, unknown>;
    expect(body.customer_number).toBe("+15550001111");
    expect(body.dynamic_variables).toEqual({ tier: "gold" });
    expect(body.metadata).toEqual({
      cekura_tracer: {
        sdk: { name: "cekura-edge-tracer", version: "0.1.0" },
        runtime: { name: "node", version: process.versions.node },
      },
    });
  });
});
