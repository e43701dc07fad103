/**
 * Generators of what a hostile or broken client may send: fragments (events, times, sizes, encodings),
 * audio chunks (path, headers, bodies), control bodies (close, consent, abort, abort-recording) and OTLP
 * bodies. Mostly well-formed with one thing wrong, so requests get past the first check and reach the
 * session; sometimes plainly malformed. Nothing here knows what the Worker accepts.
 */
import fc from "fast-check";

/**
 * Stand-ins for the session id and trace ids in generated operations: each run replaces them with fresh
 * random ones (generated ids would repeat across runs, as fast-check favours small values, and sessions
 * would then pile up state from earlier runs).
 */
export const SESSION_PLACEHOLDER = "fz-session-placeholder";
export const TRACE_PLACEHOLDERS = [
  "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a1",
  "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b2",
  "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c3",
] as const;

/** Every generated time is near this instant unless it is hostile on purpose. */
export const BASE_MS = Date.UTC(2026, 10, 25, 12);

/** One request of a session; `withPrevious` sends it at the same time as the one before (a race). */
export type Op = { withPrevious?: boolean } & (
  | { kind: "fragment"; body: unknown; encoding: "json" | "gzip" | "raw"; raw?: string; contentType: string | null }
  | { kind: "audio"; seq: string; headers: Record<string, string>; bytes: number; fill: number }
  | {
      kind: "control";
      route: "close" | "consent" | "abort" | "abort-recording" | "erase";
      body: string | null;
      contentType: string | null;
    }
  | { kind: "otlp"; body: unknown; headers: Record<string, string>; gzip: boolean }
);

const goodTime = fc.integer({ min: 0, max: 2 * 3600_000 }).map((ms) => new Date(BASE_MS + ms).toISOString());
const hostileTime = fc.constantFrom(
  "2026-13-01T00:00:00.000Z",
  "2026-02-30T00:00:00.000Z",
  "2026-11-25T24:00:00.000Z",
  "2026-11-25T12:60:00.000Z",
  "9999-12-31T23:59:59.999Z",
  "0000-01-01T00:00:00.000Z",
  "1970-01-01T00:00:00.000Z",
  "2026-11-25T12:00:00Z",
  "2026-11-25 12:00:00.000",
  "not a time",
  "",
);
export const time = fc.oneof({ weight: 12, arbitrary: goodTime }, { weight: 1, arbitrary: hostileTime });

/** Text: short printable or unicode strings, or long runs near the 65,536-character limit. */
const text = fc.oneof(
  { weight: 80, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 20, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom("lone \uD800 high", "lone \uDC00 low", "\u0000nul", "\u202Ertl", "e\u0301") },
  { weight: 1, arbitrary: fc.constantFrom(65_535, 65_536, 65_537, 100_000).map((n) => "t".repeat(n)) },
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

const transcript = fc.record({
  kind: fc.constant("transcript"),
  role: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom("user", "assistant", "system") },
    { weight: 1, arbitrary: fc.constantFrom("bot", "", "USER") },
  ),
  text,
  startedAt: time,
  endedAt: time,
});
const toolCall = fc.record({
  kind: fc.constant("tool_call"),
  id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom("", "x".repeat(201))),
  name: fc.string({ minLength: 1, maxLength: 12 }),
  arguments: fc.oneof(
    jsonValue.map((v) => JSON.stringify(v)),
    text,
  ),
  time,
});
const toolResult = fc.record({
  kind: fc.constant("tool_result"),
  id: fc.string({ minLength: 1, maxLength: 12 }),
  result: fc.oneof(
    jsonValue.map((v) => JSON.stringify(v)),
    text,
  ),
  isError: fc.oneof({ weight: 10, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant("no") }),
  time,
});
const log = fc.record(
  {
    kind: fc.constant("log"),
    level: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom("debug", "info", "warn", "error") },
      { weight: 1, arbitrary: fc.constant("fatal") },
    ),
    message: text,
    time,
    attributes: fc.oneof(
      { weight: 30, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 4 }) },
      { weight: 1, arbitrary: fc.constant({ big: "a".repeat(9000) }) },
    ),
  },
  { requiredKeys: ["kind", "level", "message", "time"] },
);
/** Keys Cekura reads at the payload's top level (and the Worker's reserved one), with fit and unfit values. */
const liftedPatch = fc.dictionary(
  fc.constantFrom(
    "customer_number",
    "dynamic_variables",
    "redact_fields",
    "to_phone_number",
    "from_phone_number",
    "run_id",
    "cekura_tracer",
  ),
  fc.oneof(
    fc.constantFrom("+15550001111", "run-7", "", "   ", "x".repeat(201), null, 5, true),
    fc.constantFrom({ name: "Ann" }, {}, ["ssn", "card"], [], [""], [1]),
    jsonValue,
  ),
  { maxKeys: 3 },
);

const metadata = fc.record({
  kind: fc.constant("metadata"),
  patch: fc.oneof(
    {
      weight: 30,
      arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(jsonValue, fc.constant(null)), { maxKeys: 4 }),
    },
    { weight: 10, arbitrary: liftedPatch },
    { weight: 1, arbitrary: fc.constant({ big: "m".repeat(70_000) }) },
  ),
  time,
});
const turn = fc.record(
  {
    kind: fc.constant("turn"),
    number: fc.oneof(fc.nat(50), fc.constantFrom(-1, 1.5, Number.MAX_SAFE_INTEGER)),
    startedAt: time,
    endedAt: time,
    interrupted: fc.boolean(),
    userBotLatencySeconds: fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constant(-1)),
  },
  { requiredKeys: ["kind", "number", "startedAt"] },
);
const junkEvent = fc.oneof(
  fc.constant({ kind: "video" }),
  fc.constant(null),
  fc.constant("event"),
  fc.record({ kind: fc.constant("transcript") }),
);

export const event = fc.oneof(
  { weight: 8, arbitrary: transcript },
  { weight: 3, arbitrary: toolCall },
  { weight: 3, arbitrary: toolResult },
  { weight: 3, arbitrary: log },
  { weight: 2, arbitrary: metadata },
  { weight: 2, arbitrary: turn },
  { weight: 1, arbitrary: junkEvent },
);

/** About 3 MiB of JSON that gzips to a few KiB: 50 transcript events of 64,000 characters. */
const bulkEvents = fc.integer({ min: 40, max: 60 }).map((n) =>
  Array.from({ length: n }, (_, i) => ({
    kind: "transcript",
    role: "user",
    text: String(i % 10).repeat(64_000),
    startedAt: new Date(BASE_MS + i).toISOString(),
    endedAt: new Date(BASE_MS + i + 1).toISOString(),
  })),
);

const seq = fc.oneof(
  { weight: 20, arbitrary: fc.nat(5) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 1e9, 2 ** 53 + 2, "0") },
);
const agentId = fc.oneof(
  { weight: 20, arbitrary: fc.constant(42) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 7, 2.5, 2 ** 53, "42") },
);
const mode = fc.oneof(
  { weight: 20, arbitrary: fc.constant("observe") },
  { weight: 2, arbitrary: fc.constant("track") },
  { weight: 1, arbitrary: fc.constant("live") },
);
const deferUpload = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom(true, false, "audio") },
  { weight: 1, arbitrary: fc.constant("yes") },
);

const fragmentBody = fc.record(
  {
    agentId,
    mode,
    seq,
    sentAt: time,
    deferUpload,
    callStartedAt: time,
    // A ~3 MiB fragment is the costliest input to play (and to shrink): about 1 in 500 fragments, a few per file.
    events: fc.oneof(
      { weight: 500, arbitrary: fc.array(event, { maxLength: 8 }) },
      { weight: 1, arbitrary: bulkEvents },
    ),
  },
  { requiredKeys: ["agentId", "mode", "seq", "sentAt", "events"] },
);

const garbageBody = fc.oneof(
  fc.constantFrom("{", "[]", "null", "\uFEFF{}", '{"seq": 0}', "\u0000"),
  fc.string({ maxLength: 30 }),
);

export const fragmentOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 18,
    arbitrary: fc.record({
      kind: fc.constant("fragment" as const),
      body: fragmentBody,
      encoding: fc.oneof(
        { weight: 8, arbitrary: fc.constant("json" as const) },
        { weight: 2, arbitrary: fc.constant("gzip" as const) },
      ),
      contentType: fc.oneof(
        { weight: 20, arbitrary: fc.constant("application/json") },
        { weight: 1, arbitrary: fc.constantFrom("text/plain", null) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("fragment" as const),
      body: fc.constant(null),
      encoding: fc.constant("raw" as const),
      raw: garbageBody,
      contentType: fc.constant("application/json"),
    }),
  },
);

const audioSeq = fc.oneof(
  { weight: 20, arbitrary: fc.nat(5).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("-1", "abc", "1e3", "99999999999", "0x1", "") },
);
const sampleRate = fc.oneof(
  { weight: 20, arbitrary: fc.constant("16000") },
  { weight: 2, arbitrary: fc.constant("8000") },
  { weight: 1, arbitrary: fc.constantFrom("7999", "96001", "abc", "", "16000.5") },
);
const audioBytes = fc.oneof(
  { weight: 100, arbitrary: fc.integer({ min: 1, max: 4000 }).map((frames) => frames * 4) },
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 6) },
  { weight: 1, arbitrary: fc.constant(4 * 1024 * 1024 + 4) },
);

export const audioOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant("audio" as const),
  seq: audioSeq,
  bytes: audioBytes,
  fill: fc.nat(255),
  headers: fc
    .record(
      {
        "content-type": fc.oneof(
          { weight: 20, arbitrary: fc.constant("application/octet-stream") },
          { weight: 1, arbitrary: fc.constantFrom("audio/wav", "") },
        ),
        "x-audio-sample-rate": sampleRate,
        "x-audio-channels": fc.constantFrom("2", "1", "3"),
        "x-cekura-agent-id": fc.oneof(
          { weight: 10, arbitrary: fc.constant("42") },
          { weight: 1, arbitrary: fc.constantFrom("0", "x", "7") },
        ),
        "x-cekura-mode": fc.oneof(
          { weight: 10, arbitrary: fc.constant("observe") },
          { weight: 1, arbitrary: fc.constantFrom("track", "nope") },
        ),
        "x-cekura-defer-upload": fc.constantFrom("true", "false", "audio", "maybe"),
        "x-cekura-call-started-at": time,
      },
      { requiredKeys: ["content-type", "x-audio-sample-rate"] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>),
});

const closeBody = fc.record(
  {
    lastSeq: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constantFrom(-2, 1.5, "3")),
    lastAudioSeq: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constantFrom(-5, "x")),
    reason: fc.oneof(
      fc.constantFrom("customer-ended-call", "agent-ended-call"),
      fc.constantFrom("Bad Reason", "", "x".repeat(101)),
    ),
    agentId,
    mode,
    deferUpload,
    callStartedAt: time,
  },
  { requiredKeys: [] },
);
const controlIntro = fc.record({ agentId, mode, deferUpload, callStartedAt: time }, { requiredKeys: [] });

export const controlOp: fc.Arbitrary<Op> = fc
  .record({
    route: fc.oneof(
      { weight: 4, arbitrary: fc.constant("close" as const) },
      { weight: 4, arbitrary: fc.constant("consent" as const) },
      { weight: 1, arbitrary: fc.constant("abort" as const) },
      { weight: 2, arbitrary: fc.constant("abort-recording" as const) },
      { weight: 1, arbitrary: fc.constant("erase" as const) },
    ),
    json: fc.oneof(closeBody, controlIntro),
    shape: fc.oneof(
      { weight: 16, arbitrary: fc.constant("json" as const) },
      { weight: 1, arbitrary: fc.constant("empty" as const) },
      { weight: 1, arbitrary: fc.constant("garbage" as const) },
      { weight: 1, arbitrary: fc.constant("oversized" as const) },
    ),
    garbage: garbageBody,
    contentType: fc.oneof(
      { weight: 10, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: fc.constantFrom(null, "text/plain") },
    ),
  })
  .map(({ route, json, shape, garbage, contentType }): Op => {
    const body =
      shape === "json"
        ? JSON.stringify(json)
        : shape === "empty"
          ? null
          : shape === "garbage"
            ? garbage
            : JSON.stringify({ ...json, pad: "p".repeat(9000) });
    return { kind: "control", route, body, contentType };
  });

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
const goodNanos = fc
  .bigInt({ min: 0n, max: 2n * 3600n * 1_000_000_000n })
  .map((n) => String(BigInt(BASE_MS) * 1_000_000n + n));
const hostileNanos = fc.oneof(
  fc.constantFrom("0", "1", "18446744073709551615", "99999999999999999999", "253402300799999000000", "-1", "1.5", ""),
  fc.constantFrom(1.5, -1, 2 ** 64, 1e21),
  fc.constant(String(BigInt(Date.UTC(9999, 11, 31)) * 1_000_000n)),
);
const nanos = fc.oneof({ weight: 12, arbitrary: goodNanos }, { weight: 2, arbitrary: hostileNanos });
const attribute = (key: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>) => fc.record({ key, value });

/** One span; `sessionId` is put in conversation.id most of the time (otherwise it parks or rides the header). */
export function span(sessionId: string, traceIds: readonly string[]) {
  return fc.record(
    {
      traceId: fc.oneof(
        { weight: 10, arbitrary: fc.constantFrom(...traceIds) },
        { weight: 1, arbitrary: fc.constantFrom("0".repeat(32), "xyz", "A".repeat(32)) },
      ),
      spanId: fc.oneof(
        { weight: 20, arbitrary: hex(16) },
        { weight: 1, arbitrary: fc.constantFrom("0".repeat(16), "short") },
      ),
      parentSpanId: fc.oneof(hex(16), fc.constant("")),
      name: fc.oneof(
        { weight: 10, arbitrary: fc.constantFrom("conversation", "turn", "stt", "llm", "tts", "tool_call") },
        { weight: 1, arbitrary: fc.constantFrom("", "n".repeat(1025)) },
      ),
      kind: fc.nat(5),
      startTimeUnixNano: nanos,
      endTimeUnixNano: nanos,
      attributes: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: attribute(fc.constant("conversation.id"), fc.constant({ stringValue: sessionId })) },
          {
            weight: 1,
            arbitrary: attribute(
              fc.constant("conversation.id"),
              fc.constantFrom({ stringValue: "bad id!" }, { intValue: "3" }),
            ),
          },
          {
            weight: 4,
            arbitrary: attribute(
              fc.constantFrom("metrics.ttfb", "turn.number", "gen_ai.provider.name", "output"),
              fc.oneof(
                fc.record({ doubleValue: fc.double() }),
                fc.record({ intValue: fc.oneof(fc.string({ maxLength: 21 }), fc.integer()) }),
                fc.record({ stringValue: fc.string({ maxLength: 30 }) }),
              ),
            ),
          },
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: ["traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"] },
  );
}

export function otlpOp(sessionId: string, traceIds: readonly string[] = TRACE_PLACEHOLDERS): fc.Arbitrary<Op> {
  const resource = fc.oneof(
    { weight: 10, arbitrary: fc.constant({ attributes: [{ key: "service.name", value: { stringValue: "agent" } }] }) },
    { weight: 1, arbitrary: fc.constant({ attributes: [{ key: "big", value: { stringValue: "r".repeat(40_000) } }] }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const wellFormed = fc.record({
    resourceSpans: fc.array(
      fc.record({
        resource,
        scopeSpans: fc.array(
          fc.record({
            scope: fc.constant({ name: "fuzz" }),
            spans: fc.array(span(sessionId, traceIds), { maxLength: 6 }),
          }),
          { maxLength: 2 },
        ),
      }),
      { maxLength: 2 },
    ),
  });
  const malformed = fc.constantFrom(
    { resourceSpans: "nope" },
    { resourceSpans: [{ scopeSpans: [{ spans: "x" }] }] },
    [],
    null,
    { resourceSpans: [{ scopeSpans: [{ spans: [null, 1, "s"] }] }] },
  );
  return fc.record({
    kind: fc.constant("otlp" as const),
    body: fc.oneof({ weight: 12, arbitrary: wellFormed }, { weight: 1, arbitrary: malformed }),
    gzip: fc.boolean(),
    headers: fc.oneof(
      { weight: 6, arbitrary: fc.constant<Record<string, string>>({ "content-type": "application/json" }) },
      {
        weight: 3,
        arbitrary: fc.constant<Record<string, string>>({
          "content-type": "application/json",
          "x-cekura-session-id": sessionId,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Record<string, string>>(
          { "content-type": "application/x-protobuf" },
          { "content-type": "text/plain" },
          { "content-type": "application/json", "x-cekura-session-id": "bad id!" },
        ),
      },
    ),
  });
}
