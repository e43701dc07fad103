/** Validation, close/abort lifecycle, consent calls, disabled tracer, construction errors. */
import {
  ApiError,
  CekuraTracer,
  ConfigError,
  SessionClosedError,
  ValidationError,
  type FetchLike,
} from "../../../sdk/index.ts";
import { equal, ok, rejects, reports, throws } from "./assert.ts";
import { caseTracer } from "./tracer.ts";
import type { SdkCase } from "./types.ts";
import { checkRecordShape, getRecord, getStatus, sid, transcriptTexts } from "./worker-client.ts";

export const cases: SdkCase[] = [
  {
    name: "bad recording input is reported through onError, never thrown, and records nothing",
    async run(ctx) {
      const { cekura, errors } = caseTracer(ctx);
      const s = cekura.observe({ sessionId: sid(ctx, "invalid") });
      reports(
        errors,
        () => s.transcript({ role: "robot" as "user", text: "x" }),
        ValidationError,
        /role must be "user", "assistant" or "system"/,
        "bad role",
      );
      reports(
        errors,
        () => s.transcript({ role: "user", text: 42 as unknown as string }),
        ValidationError,
        /transcript text must be a string/,
        "non-string text",
      );
      reports(
        errors,
        () => s.toolCall({ id: "x".repeat(201), name: "f" }),
        ValidationError,
        /at most 200 characters/,
        "too long",
      );
      reports(
        errors,
        () => s.transcript({ role: "user", text: "x", startedAt: Number.NaN }),
        ValidationError,
        /startedAt must be a Date or epoch milliseconds/,
        "bad time",
      );
      reports(
        errors,
        () =>
          s.transcript({
            role: "user",
            text: "x",
            startedAt: Date.UTC(2026, 0, 1, 0, 0, 2),
            endedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
          }),
        ValidationError,
        /endedAt .* is before startedAt/,
        "end before start",
      );
      reports(
        errors,
        () => s.toolCall({ id: "", name: "f" }),
        ValidationError,
        /toolCall id must not be empty/,
        "empty tool id",
      );
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      reports(
        errors,
        () => s.toolCall({ id: "c", name: "f", arguments: cyclic }),
        ValidationError,
        /arguments must be JSON-serialisable/,
        "cyclic arguments",
      );
      reports(
        errors,
        () => s.toolResult({ id: "c", result: () => 1 }),
        ValidationError,
        /result must be a JSON value/,
        "function result",
      );
      reports(
        errors,
        () => s.toolResult({ id: "c", result: 1, isError: "yes" as unknown as boolean }),
        ValidationError,
        /isError must be a boolean/,
        "isError",
      );
      reports(
        errors,
        () => s.log("loud" as "info", "x"),
        ValidationError,
        /log level must be one of debug, info, warn, error \(or Python's/,
        "bad level",
      );
      reports(
        errors,
        () => s.log("info", "x", { big: "y".repeat(9000) }),
        ValidationError,
        /log attributes must be at most 8192 bytes/,
        "big attributes",
      );
      reports(
        errors,
        () => s.setCustomMetadata([] as unknown as Record<string, unknown>),
        ValidationError,
        /custom metadata must be an object/,
        "array metadata",
      );
      reports(
        errors,
        () => s.audio("left" as "user", new Int16Array(4), 16000),
        ValidationError,
        /audio channel must be "user" or "assistant"/,
        "bad channel",
      );
      reports(
        errors,
        () => s.audio("user", new Float32Array(4) as unknown as Int16Array, 16000),
        ValidationError,
        /Int16Array/,
        "bad pcm",
      );
      reports(
        errors,
        () => s.audio("user", new Int16Array(4), 12.5),
        ValidationError,
        /sampleRate must be an integer/,
        "bad rate",
      );
      await rejects(
        () => s.close({ reason: "Customer Ended" }),
        ValidationError,
        /reason must be lower-case/,
        "bad close reason",
      );
      s.transcript({ role: "user", text: "the only valid event" });
      await s.close();
      const record = await getRecord(ctx, s.id);
      equal(transcriptTexts(record), ["the only valid event"], "only the valid call was recorded");
      equal(record.toolCalls.length + record.logs.length, 0, "no tool calls or logs");
    },
  },
  {
    name: "after close recording is a reported no-op; setCustomMetadata works until close is acknowledged",
    async run(ctx) {
      const { cekura, errors } = caseTracer(ctx);
      const s = cekura.observe({ sessionId: sid(ctx, "closed") });
      s.transcript({ role: "user", text: "before close" });
      const closing = s.close();
      reports(
        errors,
        () => s.transcript({ role: "user", text: "late" }),
        SessionClosedError,
        /is closed; transcript\(\) must come before close\(\)/,
        "transcript after close()",
      );
      s.log("info", "late"); // reported once per session: counted only
      equal(s.stats().dropped.afterClose, 2, "both late calls counted");
      s.setCustomMetadata({ disposition: "resolved" });
      const status = await closing;
      equal(status.state, "finalized", "finalized");
      ok(closing === s.close(), "close() twice returns the same promise");
      s.setCustomMetadata({ late: true });
      equal(s.stats().dropped.afterClose, 3, "metadata after close was acknowledged: a counted no-op");
      const record = await getRecord(ctx, s.id);
      equal(record.metadata, { disposition: "resolved" }, "metadata set during close is in the record");
      equal(transcriptTexts(record), ["before close"], "late transcript not recorded");
    },
  },
  {
    name: "captureLogs sends INFO and above from session.logger; captureLogs:false sends none",
    async run(ctx) {
      const on = caseTracer(ctx).cekura.observe({ sessionId: sid(ctx, "logs-on") });
      on.logger.debug("dbg");
      on.logger.info("inf", { n: 1 });
      on.logger.warn("wrn");
      on.logger.error("err");
      on.log("debug", "explicit debug");
      const off = caseTracer(ctx, { captureLogs: false }).cekura.observe({ sessionId: sid(ctx, "logs-off") });
      off.logger.info("not sent");
      off.logger.error("not sent either");
      await Promise.all([on.close(), off.close()]);
      const [ron, roff] = await Promise.all([getRecord(ctx, on.id), getRecord(ctx, off.id)]);
      equal(
        ron.logs.map((l) => `${l.level}:${l.message}`),
        ["info:inf", "warn:wrn", "error:err", "debug:explicit debug"],
        "INFO+ from logger, explicit log() always",
      );
      equal(roff.logs, [], "captureLogs:false records no logger output");
    },
  },
  {
    name: "track sessions ignore audio input after validating it",
    async run(ctx) {
      const { cekura } = caseTracer(ctx);
      const t = cekura.track({ sessionId: sid(ctx, "track-audio") });
      t.audio("user", new Int16Array(160), 16000);
      t.transcript({ role: "user", text: "track" });
      const status = await t.close();
      equal(status.mode, "track", "track mode");
      const record = await getRecord(ctx, t.id);
      equal(record.audio ?? null, null, "no audio in a track record");
      throws(
        () => cekura.track({ deferUpload: true } as never),
        ConfigError,
        /track\(\) takes no deferUpload/,
        "no deferUpload for track",
      );
    },
  },
  {
    name: "a 4xx answer is reported through onError with the Worker's detail and not retried",
    async run(ctx) {
      const id = sid(ctx, "conflict");
      const first = caseTracer(ctx).cekura.observe({ sessionId: id });
      first.transcript({ role: "user", text: "agent 1" });
      await first.flush();
      let posts = 0;
      const counting: FetchLike = (input, init) => {
        if (String(input).endsWith("/fragments")) posts++;
        return fetch(input, init);
      };
      const { cekura, errors } = caseTracer(ctx, { agentId: ctx.agentId + 1, fetch: counting });
      const other = cekura.observe({ sessionId: id });
      other.transcript({ role: "user", text: "agent 2 on the same session id" });
      await other.flush();
      equal(posts, 1, "the 409 was not retried");
      equal(errors.length, 1, "one error reported");
      const error = errors[0]!;
      ok(error instanceof ApiError, `an ApiError: ${error.name}`);
      equal([(error as ApiError).status, error.code], [409, "session_conflict"], "status and code from the Worker");
      ok(/belongs to agent/.test((error as ApiError).detail), `the Worker's detail: ${(error as ApiError).detail}`);
      await first.close();
      const record = await getRecord(ctx, id);
      equal(transcriptTexts(record), ["agent 1"], "the other agent's event never got in");
    },
  },
  {
    name: "consent: deferUpload, startAudioUpload, abortRecording and abort reach the Worker",
    async run(ctx) {
      const { cekura } = caseTracer(ctx);
      const granted = cekura.observe({ sessionId: sid(ctx, "consent"), deferUpload: true });
      granted.transcript({ role: "user", text: "held until consent" });
      await granted.flush();
      const held = await getStatus(ctx, granted.id);
      equal(
        [held.status, held.body.consent],
        [200, "deferred"],
        "deferUpload reaches the Worker with the first fragment",
      );
      const afterGrant = await granted.startAudioUpload();
      equal(afterGrant.consent, "granted", "consent granted");
      await granted.abortRecording();
      const closed = await granted.close();
      equal(closed.state, "finalized", "finalized after consent");
      const record = await getRecord(ctx, granted.id);
      equal(transcriptTexts(record), ["held until consent"], "held data released");

      const aborted = cekura.observe({ sessionId: sid(ctx, "aborted"), deferUpload: true });
      aborted.transcript({ role: "user", text: "to be destroyed" });
      await aborted.flush();
      aborted.transcript({ role: "user", text: "never sent" });
      const status = await aborted.abort();
      equal(status.state, "aborted", "the Worker says aborted");
      aborted.transcript({ role: "user", text: "x" });
      equal(aborted.stats().dropped.afterClose, 1, "recording after abort: a counted no-op");
      await rejects(() => aborted.close(), SessionClosedError, /was aborted/, "close after abort");
      const after = await getStatus(ctx, aborted.id);
      equal(after.body.state, "aborted", "status stays aborted");
    },
  },
  {
    name: "enabled:false and CEKURA_TRACER_ENABLED=false make every call a no-op with no network",
    async run(ctx) {
      let calls = 0;
      const spy: FetchLike = (input, init) => {
        calls++;
        return fetch(input, init);
      };
      const viaOption = caseTracer(ctx, { enabled: false, fetch: spy }).cekura;
      const viaEnv = new CekuraTracer({ env: { CEKURA_TRACER_ENABLED: "false" }, fetch: spy });
      for (const cekura of [viaOption, viaEnv]) {
        equal(cekura.enabled, false, "disabled");
        const s = cekura.observe({ sessionId: sid(ctx, "disabled") });
        s.transcript({ role: "user", text: "nothing" });
        s.toolCall({ id: "1", name: "f", arguments: {} });
        s.logger.error("nothing");
        s.audio("user", new Int16Array(10), 16000);
        s.startTurn().end();
        await s.flush();
        const status = await s.close();
        equal(status.state, "discarded", "a synthetic status");
      }
      equal(calls, 0, "no fetch at all");
      const missing = await getStatus(ctx, sid(ctx, "disabled"));
      equal(missing.status, 404, "the Worker never heard of the session");
    },
  },
  {
    name: "construction errors are clear and immediate",
    async run(ctx) {
      const base = { apiKey: ctx.apiKey, agentId: ctx.agentId, ingestUrl: ctx.ingestUrl, env: {} };
      throws(() => new CekuraTracer({ ...base, apiKey: "" }), ConfigError, /apiKey is required/, "empty key");
      throws(() => new CekuraTracer({ ...base, apiKey: undefined }), ConfigError, /apiKey is required/, "missing key");
      throws(
        () => new CekuraTracer({ ...base, agentId: 1.5 }),
        ConfigError,
        /agentId must be a positive integer/,
        "fractional agent",
      );
      throws(
        () => new CekuraTracer({ ...base, agentId: "7" as unknown as number }),
        ConfigError,
        /agentId must be a positive integer/,
        "string agent",
      );
      throws(
        () => new CekuraTracer({ ...base, ingestUrl: "not a url" }),
        ConfigError,
        /ingestUrl must be an absolute http\(s\) URL/,
        "bad url",
      );
      throws(
        () => new CekuraTracer({ ...base, ingestUrl: "ftp://x.example" }),
        ConfigError,
        /must use http or https/,
        "bad scheme",
      );
      throws(
        () => new CekuraTracer({ ...base, maxBatchEvents: 5000 }),
        ConfigError,
        /maxBatchEvents must be an integer between 1 and 1000/,
        "batch too big",
      );
      throws(
        () => new CekuraTracer({ ...base, retry: { maxAttempts: 0 } }),
        RangeError,
        /retry.maxAttempts must be an integer >= 1/,
        "retry policy",
      );
      const cekura = new CekuraTracer(base);
      throws(
        () => cekura.observe({ sessionId: "x".repeat(101) }),
        ConfigError,
        /at most 100 characters/,
        "long session id",
      );
      throws(() => cekura.observe({ sessionId: "has space" }), ConfigError, /may contain only/, "bad session id");
      throws(
        () => cekura.observe({ runnerArgs: { session_id: "" } }),
        ConfigError,
        /runnerArgs.session_id: .*must not be empty/,
        "empty runner id",
      );
      throws(
        () => cekura.observe({ deferUpload: "yes" as never }),
        ConfigError,
        /deferUpload must be true, false or "audio"/,
        "bad deferUpload",
      );
      const fromEnv = new CekuraTracer({
        env: {
          CEKURA_API_KEY: ctx.apiKey,
          CEKURA_AGENT_ID: String(ctx.agentId),
          CEKURA_INGEST_URL: `${ctx.ingestUrl}/`,
        },
      });
      const s = fromEnv.track({ sessionId: sid(ctx, "from-env") });
      s.transcript({ role: "user", text: "configured from env" });
      await s.close();
      checkRecordShape(await getRecord(ctx, s.id));
    },
  },
];
