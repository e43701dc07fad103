/**
 * The hand check of fragments (worker/session/fragment-check.ts) against fragmentSchema, inside workerd
 * (where zod runs as in production): whatever the hand check accepts, zod accepts too and returns the
 * same JSON; what it leaves to zod still gets zod's answer. Checked on typical SDK bodies, on edge cases
 * and on thousands of seeded random mutations of them.
 */
import { expect, it } from "vitest";
import { fragmentSchema } from "../../sdk/protocol.ts";
import { checkedFragment } from "../../worker/session/fragment-check.ts";

const T0 = "2026-11-26T10:30:00.000Z";
const T1 = "2026-11-26T10:30:01.500Z";

const sdkFragment = () => ({
  agentId: 42,
  mode: "observe",
  seq: 3,
  sentAt: T1,
  deferUpload: false,
  callStartedAt: T0,
  sdk: { name: "@cekura/edge-tracer", version: "0.1.0", runtime: "node", runtimeVersion: "20.20.2" },
  events: [
    { kind: "transcript", role: "user", text: "Hi, I'd like to move my appointment.", startedAt: T0, endedAt: T1 },
    { kind: "log", level: "info", message: "llm request started", time: T1, attributes: { model: "m", tokens: 182 } },
    { kind: "tool_call", id: "call-1", name: "find_slots", arguments: '{"patientId":"p-1"}', time: T1 },
    { kind: "tool_result", id: "call-1", name: "find_slots", result: '{"ok":true}', isError: false, time: T1 },
    { kind: "tool_result", id: "call-2", result: "{}", isError: true, time: T1 },
    { kind: "log", level: "warn", message: "no attributes", time: T1 },
  ],
});

/** Same JSON, keys in another order (zod returns its own order; so must the hand check). */
const reordered = () => {
  const f = sdkFragment();
  return {
    events: f.events.map((e) => Object.fromEntries(Object.entries(e).reverse())),
    sdk: Object.fromEntries(Object.entries(f.sdk).reverse()),
    callStartedAt: f.callStartedAt,
    deferUpload: f.deferUpload,
    sentAt: f.sentAt,
    seq: f.seq,
    mode: f.mode,
    agentId: f.agentId,
  };
};

const with_ = (patch: Record<string, unknown>) => ({ ...sdkFragment(), ...patch });
const withEvent = (event: unknown) => with_({ events: [event] });
const transcript = { kind: "transcript", role: "assistant", text: "ok", startedAt: T0, endedAt: T1 };

const cases: [string, unknown][] = [
  ["a typical SDK fragment", sdkFragment()],
  ["its keys in reverse order", reordered()],
  ["no optional fields", { agentId: 1, mode: "track", seq: 0, sentAt: T0, events: [] }],
  ["unknown keys at the top and in an event", with_({ extra: 1, events: [{ ...transcript, extra: "x" }] })],
  ["deferUpload audio", with_({ deferUpload: "audio" })],
  ["deferUpload as a string", with_({ deferUpload: "true" })],
  ["sdk without runtimeVersion", with_({ sdk: { name: "x", version: "", runtime: "" } })],
  ["sdk with an empty name", with_({ sdk: { name: "", version: "1", runtime: "node" } })],
  ["sdk version too long", with_({ sdk: { name: "x", version: "v".repeat(51), runtime: "node" } })],
  ["redaction rules", with_({ redact: { detectors: ["email"] } })],
  ["bad redaction rules", with_({ redact: { detectors: ["nope"] } })],
  ["agentId 0", with_({ agentId: 0 })],
  ["agentId 1.5", with_({ agentId: 1.5 })],
  ["agentId as a string", with_({ agentId: "42" })],
  ["agentId past safe integers", with_({ agentId: 2 ** 60 })],
  ["seq -1", with_({ seq: -1 })],
  ["seq -0", with_({ seq: -0 })],
  ["mode unknown", with_({ mode: "listen" })],
  ["sentAt without milliseconds", with_({ sentAt: "2026-11-26T10:30:00Z" })],
  ["sentAt in month 13", with_({ sentAt: "2026-13-26T10:30:00.000Z" })],
  ["sentAt on February 30", with_({ sentAt: "2026-02-30T10:30:00.000Z" })],
  ["sentAt in 2100", with_({ sentAt: "2100-01-01T00:00:00.000Z" })],
  ["callStartedAt null", with_({ callStartedAt: null })],
  ["events not a list", with_({ events: {} })],
  ["too many events", with_({ events: Array.from({ length: 1001 }, () => transcript) })],
  ["the most events", with_({ events: Array.from({ length: 1000 }, () => transcript) })],
  ["an event that is null", withEvent(null)],
  ["an unknown event kind", withEvent({ kind: "dtmf", time: T0 })],
  ["transcript ending before it starts", withEvent({ ...transcript, startedAt: T1, endedAt: T0 })],
  ["transcript ending when it starts", withEvent({ ...transcript, endedAt: T0, startedAt: T0 })],
  ["transcript without endedAt", withEvent({ ...transcript, endedAt: undefined })],
  ["transcript with a bad role", withEvent({ ...transcript, role: "bot" })],
  ["transcript text at the limit", withEvent({ ...transcript, text: "é".repeat(64 * 1024) })],
  ["transcript text past the limit", withEvent({ ...transcript, text: "a".repeat(64 * 1024 + 1) })],
  ["tool_call with an empty id", withEvent({ kind: "tool_call", id: "", name: "f", arguments: "{}", time: T0 })],
  ["tool_call id of 200", withEvent({ kind: "tool_call", id: "i".repeat(200), name: "f", arguments: "", time: T0 })],
  ["tool_call id of 201", withEvent({ kind: "tool_call", id: "i".repeat(201), name: "f", arguments: "", time: T0 })],
  ["tool_call arguments as an object", withEvent({ kind: "tool_call", id: "i", name: "f", arguments: {}, time: T0 })],
  [
    "tool_result with an empty name",
    withEvent({ kind: "tool_result", id: "i", name: "", result: "", isError: false, time: T0 }),
  ],
  ["tool_result isError as a string", withEvent({ kind: "tool_result", id: "i", result: "", isError: "no", time: T0 })],
  ["log with a bad level", withEvent({ kind: "log", level: "fatal", message: "m", time: T0 })],
  ["log attributes as a list", withEvent({ kind: "log", level: "info", message: "m", time: T0, attributes: [1] })],
  ["log attributes null", withEvent({ kind: "log", level: "info", message: "m", time: T0, attributes: null })],
  [
    "log attributes nested",
    withEvent({
      kind: "log",
      level: "debug",
      message: "m",
      time: T0,
      attributes: { a: { b: [1, "2", null] }, 1: true },
    }),
  ],
  [
    "log attributes past 8 KiB",
    withEvent({ kind: "log", level: "info", message: "m", time: T0, attributes: { a: "x".repeat(8200) } }),
  ],
  ["a metadata event", withEvent({ kind: "metadata", patch: { topic: "billing" }, time: T0 })],
  ["a turn event", withEvent({ kind: "turn", number: 1, startedAt: T0 })],
  ["null", null],
  ["a list", [sdkFragment()]],
  ["a string", "fragment"],
];

/** The property: the hand check accepts only what zod accepts, and returns zod's JSON. */
function agrees(value: unknown): { fast: boolean; zod: boolean; same: boolean } {
  const fast = checkedFragment(value);
  const zod = fragmentSchema.safeParse(value);
  if (fast === undefined) return { fast: false, zod: zod.success, same: true };
  return { fast: true, zod: zod.success, same: zod.success && JSON.stringify(fast) === JSON.stringify(zod.data) };
}

it("accepts typical SDK fragments itself, in any key order, with zod's result", () => {
  for (const value of [sdkFragment(), reordered(), with_({ events: [transcript] })]) {
    expect(agrees(value)).toEqual({ fast: true, zod: true, same: true });
  }
});

it("never accepts a body zod refuses, and returns zod's JSON for every body it accepts", () => {
  for (const [name, value] of cases) {
    const result = agrees(JSON.parse(JSON.stringify(value) ?? "null"));
    expect({ name, ...result, ok: !result.fast || (result.zod && result.same) }).toMatchObject({ name, ok: true });
  }
});

it("agrees with zod on thousands of seeded random mutations of SDK fragments", () => {
  let x = 12345;
  const random = () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const values: unknown[] = [
    undefined,
    null,
    0,
    -1,
    1.5,
    2 ** 53,
    "",
    "x",
    "user",
    "info",
    "observe",
    "audio",
    true,
    false,
    [],
    {},
    T0,
    T1,
    "2026-02-29T00:00:00.000Z",
    "1999-12-31T23:59:59.999Z",
    "t".repeat(201),
  ];
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const fragment = JSON.parse(JSON.stringify(sdkFragment())) as Record<string, unknown> & {
      events: Record<string, unknown>[];
      sdk: Record<string, unknown>;
    };
    for (let m = Math.floor(random() * 3); m >= 0; m--) {
      const where = random();
      if (where < 0.3) fragment[pick(Object.keys(fragment))] = pick(values);
      else if (where < 0.8 && Array.isArray(fragment.events) && fragment.events.length > 0) {
        const event = pick(fragment.events);
        if (event && typeof event === "object") event[pick([...Object.keys(event), "kind", "extra"])] = pick(values);
      } else if (fragment.sdk && typeof fragment.sdk === "object")
        fragment.sdk[pick(Object.keys(fragment.sdk))] = pick(values);
    }
    const value = JSON.parse(JSON.stringify(fragment)) as unknown;
    const result = agrees(value);
    if (result.fast) accepted++;
    if (result.fast && !(result.zod && result.same)) expect({ value, result }).toBeUndefined();
  }
  // Some mutations leave a valid fragment (an unknown key, an equal value): the hand check took those.
  expect(accepted).toBeGreaterThan(100);
});
