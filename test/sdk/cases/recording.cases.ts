/** Recording and delivery: what is recorded is exactly what the Worker's record shows. */
import type { FetchLike } from "../../../sdk/index.ts";
import { equal, noErrors, ok, UTC_MS } from "./assert.ts";
import { caseTracer } from "./tracer.ts";
import type { SdkCase } from "./types.ts";
import { checkRecordShape, getRecord, sid, transcriptTexts } from "./worker-client.ts";

export const cases: SdkCase[] = [
  {
    name: "records transcript, tool calls, logs and metadata exactly once, in order",
    async run(ctx) {
      const { cekura, errors } = caseTracer(ctx);
      const s = cekura.observe({ sessionId: sid(ctx, "basic"), customMetadata: { customer: "acme", tier: 1 } });
      const t0 = Date.UTC(2026, 10, 25, 12, 0, 0, 0);
      s.transcript({ role: "user", text: "Hi, I need to move my appointment", startedAt: t0, endedAt: t0 + 1500 });
      s.transcript({
        role: "assistant",
        text: "Sure - which day works?",
        startedAt: new Date(t0 + 2000),
        endedAt: new Date(t0 + 3000),
      });
      s.toolCall({ id: "call-1", name: "find_slot", arguments: { day: "friday", nested: [1, { a: null }] } });
      s.toolResult({ id: "call-1", name: "find_slot", result: ["10:00", "11:30"] });
      s.toolCall({ id: "call-2", name: "book", arguments: "10:00" });
      s.toolResult({ id: "call-2", result: { error: "taken" }, isError: true });
      s.logger.info("booking attempted", { slot: "10:00" });
      s.log("warn", "slot taken");
      s.setCustomMetadata({ tier: 2, outcome: "rebooked" });
      s.setCustomMetadata({ customer: null });
      equal(s.getCustomMetadata(), { tier: 2, outcome: "rebooked" }, "getCustomMetadata is the merged view");
      s.transcript({ role: "user", text: "Thanks, bye", startedAt: t0 + 4000, endedAt: t0 + 4500 });

      const status = await s.close({ reason: "customer-ended-call" });
      equal(status.state, "finalized", "close resolves with the finalized status");
      const record = await getRecord(ctx, s.id);
      checkRecordShape(record);
      equal(record.sessionId, s.id, "record session id");
      equal(record.agentId, ctx.agentId, "record agent id");
      equal(record.mode, "observe", "record mode");
      equal(
        record.transcript.map((t) => [t.role, t.text, t.startedAt, t.endedAt]),
        [
          ["user", "Hi, I need to move my appointment", "2026-11-25T12:00:00.000Z", "2026-11-25T12:00:01.500Z"],
          ["assistant", "Sure - which day works?", "2026-11-25T12:00:02.000Z", "2026-11-25T12:00:03.000Z"],
          ["user", "Thanks, bye", "2026-11-25T12:00:04.000Z", "2026-11-25T12:00:04.500Z"],
        ],
        "transcript in order with the given UTC times",
      );
      equal(
        record.toolCalls.map((c) => [c.id, c.name, c.arguments, c.result, c.isError]),
        [
          [
            "call-1",
            "find_slot",
            JSON.stringify({ day: "friday", nested: [1, { a: null }] }),
            JSON.stringify(["10:00", "11:30"]),
            false,
          ],
          ["call-2", "book", JSON.stringify("10:00"), JSON.stringify({ error: "taken" }), true],
        ],
        "tool calls paired with their results, as JSON strings",
      );
      equal(
        record.logs.map((l) => [l.level, l.message, l.attributes ?? null]),
        [
          ["info", "booking attempted", { slot: "10:00" }],
          ["warn", "slot taken", null],
        ],
        "logs in order",
      );
      equal(record.metadata, { tier: 2, outcome: "rebooked" }, "metadata patches merged (null deletes)");
      noErrors(errors, "no background errors");
    },
  },
  {
    name: "many events are cut into numbered fragments and all arrive once, in order",
    async run(ctx) {
      const seen: string[] = [];
      const countingFetch: FetchLike = (input, init) => {
        seen.push(
          `${init?.method ?? "GET"} ${new URL(String(input)).pathname} ${new Headers(init?.headers).get("content-encoding") ?? "identity"}`,
        );
        return fetch(input, init);
      };
      const { cekura, errors } = caseTracer(ctx, { maxBatchEvents: 40, flushIntervalMs: 20, fetch: countingFetch });
      const s = cekura.track({ sessionId: sid(ctx, "many") });
      const base = Date.UTC(2026, 10, 25, 13, 0, 0, 0);
      for (let i = 0; i < 300; i++) {
        s.transcript({
          role: i % 2 ? "assistant" : "user",
          text: `turn ${i} ${"lorem ipsum ".repeat(10)}`,
          startedAt: base + i * 10,
          endedAt: base + i * 10 + 5,
        });
        if (i % 3 === 0) s.log("info", `log ${i}`);
        // Yield sometimes so the background flusher runs between recording calls.
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await s.flush();
      ok(s.lastSeq >= 9, `at least 10 fragments were built (lastSeq ${s.lastSeq})`);
      const status = await s.close();
      equal(status.state, "finalized", "finalized");
      const record = await getRecord(ctx, s.id);
      checkRecordShape(record);
      equal(record.mode, "track", "track mode");
      equal(record.transcript.length, 300, "every transcript turn once");
      equal(
        record.transcript.map((t) => Number(t.text.split(" ")[1])),
        [...Array(300).keys()],
        "in order",
      );
      equal(
        record.logs.map((l) => l.message),
        [...Array(100).keys()].map((i) => `log ${i * 3}`),
        "every log once, in order",
      );
      equal(record.fragments.lastSeq, s.lastSeq, "the Worker saw the last seq");
      const posts = seen.filter((l) => l.includes("/fragments"));
      equal(posts.length, s.lastSeq + 1, "one POST per fragment (no retries were needed)");
      ok(
        posts.some((l) => l.endsWith("gzip")),
        `compressible fragments are sent gzip-encoded: ${posts.slice(0, 3).join(", ")}`,
      );
      ok(
        seen.some((l) => l.startsWith("POST") && l.includes("/close")),
        "close was sent through the injected fetch",
      );
      noErrors(errors, "no background errors");
    },
  },
  {
    name: "two concurrent sessions in one process never mix",
    async run(ctx) {
      const { cekura } = caseTracer(ctx, { flushIntervalMs: 5, maxBatchEvents: 7 });
      const a = cekura.observe({ sessionId: sid(ctx, "mix-a") });
      const b = cekura.observe({ sessionId: sid(ctx, "mix-b") });
      for (let i = 0; i < 60; i++) {
        a.transcript({ role: "user", text: `a${i}` });
        b.transcript({ role: "assistant", text: `b${i}` });
        a.toolCall({ id: `a-${i}`, name: "ta", arguments: i });
        b.setCustomMetadata({ [`b${i % 5}`]: i });
        a.toolResult({ id: `a-${i}`, result: i * 2 });
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
      }
      a.setCustomMetadata({ who: "a" });
      const [sa, sb] = await Promise.all([a.close(), b.close()]);
      equal([sa.state, sb.state], ["finalized", "finalized"], "both finalized");
      const [ra, rb] = await Promise.all([getRecord(ctx, a.id), getRecord(ctx, b.id)]);
      checkRecordShape(ra);
      checkRecordShape(rb);
      equal(
        transcriptTexts(ra),
        [...Array(60).keys()].map((i) => `a${i}`),
        "a's transcript only",
      );
      equal(
        transcriptTexts(rb),
        [...Array(60).keys()].map((i) => `b${i}`),
        "b's transcript only",
      );
      equal(ra.toolCalls.length, 60, "a's tool calls");
      equal(rb.toolCalls.length, 0, "b has no tool calls");
      equal(ra.metadata, { who: "a" }, "a's metadata");
      equal(rb.metadata, { b0: 55, b1: 56, b2: 57, b3: 58, b4: 59 }, "b's metadata");
    },
  },
  {
    name: "session ids: explicit > runnerArgs.sessionId/session_id > random UUID",
    async run(ctx) {
      const { cekura } = caseTracer(ctx);
      const explicit = cekura.observe({ sessionId: sid(ctx, "explicit"), runnerArgs: { sessionId: "ignored" } });
      equal(explicit.id, sid(ctx, "explicit"), "explicit id wins");
      const fromArgs = cekura.observe({ runnerArgs: { session_id: sid(ctx, "runner") } });
      equal(fromArgs.id, sid(ctx, "runner"), "runnerArgs.session_id");
      const camel = cekura.track({ runnerArgs: { sessionId: sid(ctx, "camel"), session_id: "other" } });
      equal(camel.id, sid(ctx, "camel"), "runnerArgs.sessionId before session_id");
      const generated = cekura.observe();
      ok(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(generated.id),
        `a random UUID: ${generated.id}`,
      );
      ok(generated.id !== cekura.observe().id, "two generated ids differ");
      generated.transcript({ role: "user", text: "hello" });
      await generated.close();
      const record = await getRecord(ctx, generated.id);
      equal(transcriptTexts(record), ["hello"], "generated id works end to end");
      for (const s of [explicit, fromArgs, camel]) await s.close();
    },
  },
  {
    name: "recording calls stamp UTC time and are synchronous",
    async run(ctx) {
      const { cekura } = caseTracer(ctx);
      const s = cekura.observe({ sessionId: sid(ctx, "sync") });
      const before = new Date().toISOString();
      const returned = s.transcript({ role: "user", text: "now" }) as unknown;
      equal(returned, undefined, "transcript returns nothing (no promise)");
      ok((s.toolCall({ id: "x", name: "y" }) as unknown) === undefined, "toolCall returns nothing");
      s.toolResult({ id: "x", result: null });
      await s.close();
      const after = new Date().toISOString();
      const record = await getRecord(ctx, s.id);
      const t = record.transcript[0]!;
      ok(
        UTC_MS.test(t.startedAt) && t.startedAt >= before && t.startedAt <= after,
        `stamped now in UTC: ${t.startedAt} in [${before}, ${after}]`,
      );
      equal(t.startedAt, t.endedAt, "no times given: startedAt = endedAt = now");
      equal(record.toolCalls[0]?.arguments, "{}", "missing arguments are sent as {}");
      equal(record.toolCalls[0]?.result, "null", "a null result is the JSON null");
    },
  },
];
