/**
 * Issue 29: a seeded, bounded fuzz of erasure, abort, abort-recording and retention racing finalization
 * (and an inspector view writing waveform peaks), inside workerd with real Durable Objects, alarms and R2.
 * The interleaving is forced: the PUT of the chosen object is held (r2-faults.ts) until the racing
 * request is in. The property: nothing stays in R2 or in the session's storage that the API says is gone.
 * RETENTION_DAYS = 1 here; time passes by rewriting the stored times, then the alarm runs for real.
 */
import { abortAllDurableObjects, env as testEnv, reset, runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { tenantIndexStub } from "../../worker/privacy/open-sessions.ts";
import { injectR2Faults, until, type R2Faults } from "../support/workerd/r2-faults.ts";
import { dumpDo, inspectDo, stubOf, tenantOfKey } from "../support/workerd/inspect-do.ts";
import { editStoredMeta } from "../support/workerd/session-do.ts";
import { call, fragment, freshKey, say, uniqueId } from "./support.ts";

const env = testEnv as unknown as Env;
const DAY = 24 * 3600 * 1000;
const RATE = 16_000;
/** Runs of the property; each is one call (about half a second). FUZZ_RUNS=<n> searches longer. */
const RUNS = Number(process.env.FUZZ_RUNS) || 16;
const SEED = 29_2026;

let faults: R2Faults | undefined;
afterEach(() => reset());

type Racer = "erase" | "abort" | "abort-recording" | "retention" | "none";
type Held = "records/" | "audio/" | "peaks/" | "none";
type When = "while-held" | "at-once" | "after";

interface Plan {
  racer: Racer;
  held: Held;
  when: When;
  audio: boolean;
  view: boolean;
}

const plan: fc.Arbitrary<Plan> = fc.record({
  racer: fc.constantFrom<Racer>("erase", "abort", "abort-recording", "retention", "none"),
  held: fc.constantFrom<Held>("records/", "audio/", "peaks/", "none"),
  when: fc.constantFrom<When>("while-held", "at-once", "after"),
  audio: fc.boolean(),
  view: fc.boolean(),
});

/** Moves the session's stored times `ms` into the past (as the DO reads them after an eviction). */
async function age(key: string, id: string, ms: number): Promise<void> {
  await editStoredMeta(
    id,
    (meta) => {
      for (const field of ["createdAt", "lastActivityAt", "finalizedAt", "destroyedAt", "erasedAt"])
        if (typeof meta[field] === "number") meta[field] -= ms;
      if (meta.close) meta.close.deadline = Date.now() - 1;
    },
    key,
  );
  await abortAllDurableObjects();
}

async function r2KeysOf(id: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of ["audio/", "records/", "peaks/"])
    for (const object of (await env.RECORDINGS.list({ prefix })).objects)
      if (object.key.includes(id)) keys.push(object.key);
  return keys;
}

async function race(racer: Racer, key: string, id: string): Promise<void> {
  const answer =
    racer === "erase"
      ? await call("DELETE", `/v1/sessions/${id}`, key)
      : racer === "abort"
        ? await call("POST", `/v1/sessions/${id}/abort`, key, {})
        : racer === "abort-recording"
          ? await call("POST", `/v1/sessions/${id}/abort-recording`, key, {})
          : undefined;
  if (answer) {
    expect(answer.status).toBeLessThan(500);
    await answer.arrayBuffer();
  }
}

/** One call finalized by its alarm while `p.racer` comes in where `p` says; then the property is checked. */
async function playOnce(p: Plan): Promise<void> {
  const key = freshKey();
  const id = uniqueId("race");
  const secret = `SECRET-${crypto.randomUUID()}`;
  expect((await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", secret, 0)]))).status).toBe(
    200,
  );
  if (p.audio) {
    const put = await call("PUT", `/v1/sessions/${id}/audio/0`, key, new Uint8Array(RATE * 4).fill(3), {
      "content-type": "application/octet-stream",
      "x-audio-sample-rate": String(RATE),
    });
    expect(put.status).toBe(200);
  }
  // seq 1 never comes: the alarm finalizes past the (rewound) grace time.
  const closed = await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 1, lastAudioSeq: p.audio ? 0 : -1 });
  expect(closed.status).toBe(200);
  await age(key, id, 0);

  faults = p.held === "none" ? undefined : await injectR2Faults({ keyPrefix: p.held, delayPutMs: 300 });
  try {
    const finalizing = { done: runDurableObjectAlarm(await stubOf(id, key)) };
    const racer = p.racer === "retention" ? "none" : p.racer;
    if (p.when === "while-held" && p.held !== "peaks/" && faults)
      await until(() => faults!.calls.put > 0, 3000).catch(() => undefined);
    if (p.when !== "after") await race(racer, key, id);
    await finalizing.done;
    if (p.when === "after") await race(racer, key, id);

    // An inspector view (it writes peaks back) racing retention's erasure, or the erasure above.
    const view = p.view ? { done: call("GET", `/inspect/${id}`, key) } : undefined;
    if (view && p.held === "peaks/" && faults) await until(() => faults!.calls.put > 0, 3000).catch(() => undefined);
    if (p.racer === "retention") {
      await age(key, id, DAY + 60_000);
      await runDurableObjectAlarm(await stubOf(id, key));
    }
    if (view) await (await view.done).arrayBuffer();
  } finally {
    faults?.restore();
    faults = undefined;
  }
  await abortAllDurableObjects();

  // The property: what the API says is gone is gone from R2, the session's storage and the tenant's list.
  const status = await call("GET", `/v1/sessions/${id}`, key);
  const state = status.status === 200 ? ((await status.json()) as { state: string }).state : "unknown";
  const keys = await r2KeysOf(id);
  const held = await inspectDo(id, key);
  const listed = ((await tenantIndexStub(env, await tenantOfKey(key))?.list(100)) ?? []).map((s) => s.sessionId);
  const facts = { plan: p, state, keys, tables: held.tables };
  if (state === "erased" || state === "aborted" || state === "discarded") {
    expect(keys, JSON.stringify(facts)).toEqual([]);
    expect(
      Object.keys(held.tables).filter((t) => t !== "session_meta"),
      JSON.stringify(facts),
    ).toEqual([]);
    expect(held.kvKeys).toEqual([]);
    expect((await dumpDo(id, key)).includes(secret), JSON.stringify(facts)).toBe(false);
    if (state === "erased") expect(listed).not.toContain(id);
    return;
  }
  expect(state, JSON.stringify(facts)).toBe("finalized");
  const record = (await (await call("GET", `/v1/sessions/${id}/record`, key)).json()) as {
    audio: { key: string } | null;
    transcript: { text: string }[];
  };
  expect(record.transcript.map((t) => t.text)).toEqual([secret]);
  // A record names audio only when the WAV is there; a dropped recording leaves no WAV.
  const wavs = keys.filter((k) => k.startsWith("audio/"));
  if (record.audio) expect(wavs, JSON.stringify(facts)).toEqual([record.audio.key]);
  else expect(wavs, JSON.stringify(facts)).toEqual([]);
}

it(`erasure, abort, abort-recording and retention racing finalization leave nothing the API says is gone (seed ${SEED}, ${RUNS} runs)`, async () => {
  await fc.assert(fc.asyncProperty(plan, playOnce), { seed: SEED, numRuns: RUNS, endOnFailure: true });
}, 240_000);
