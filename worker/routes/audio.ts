import { Hono } from "hono";
import { deferUploadSchema, describeZodError, LIMITS, modeSchema, utcTimestamp } from "../../sdk/protocol.ts";
import type { ErrorCode } from "../../sdk/wire/error-codes.ts";
import type { AppEnv } from "../app-env.ts";
import { HttpError, unwrap } from "../errors.ts";
import { readBodyBytes } from "../middleware/body.ts";
import { FRAME_BYTES } from "../session/audio-store.ts";
import type { SessionIntro } from "../session/meta.ts";

export const AUDIO_HEADERS = {
  sampleRate: "x-audio-sample-rate",
  startFrame: "x-audio-start-frame",
  channels: "x-audio-channels",
  agentId: "x-cekura-agent-id",
  mode: "x-cekura-mode",
  deferUpload: "x-cekura-defer-upload",
  callStartedAt: "x-cekura-call-started-at",
} as const;

const MIN_RATE = 8000;
const MAX_RATE = 96000;
const MAX_CHUNK_SEQ = 10_000_000;

function bad(code: ErrorCode, detail: string): never {
  throw new HttpError(400, code, detail);
}

function integerParam(value: string | undefined, name: string, code: ErrorCode, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    bad(code, `${name} must be an integer from ${min} to ${max}, got "${value ?? "(none)"}"`);
  }
  return n;
}

/** agentId/mode from headers: required together when present; they create the session on first contact. */
function introFrom(headers: Headers): SessionIntro | undefined {
  const agent = headers.get(AUDIO_HEADERS.agentId);
  const mode = headers.get(AUDIO_HEADERS.mode);
  if (agent === null && mode === null) return undefined;
  if (agent === null || mode === null)
    bad("invalid_headers", "send X-Cekura-Agent-Id and X-Cekura-Mode together (or neither)");
  const intro: SessionIntro = {
    agentId: integerParam(agent, "X-Cekura-Agent-Id", "invalid_x_cekura_agent_id", 1, Number.MAX_SAFE_INTEGER),
    mode: parseOr(modeSchema, mode, "X-Cekura-Mode"),
  };
  const defer = headers.get(AUDIO_HEADERS.deferUpload);
  if (defer !== null)
    intro.deferUpload = parseOr(
      deferUploadSchema,
      defer === "true" ? true : defer === "false" ? false : defer,
      "X-Cekura-Defer-Upload",
    );
  const started = headers.get(AUDIO_HEADERS.callStartedAt);
  if (started !== null) intro.callStartedAt = parseOr(utcTimestamp, started, "X-Cekura-Call-Started-At");
  return intro;
}

function parseOr<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } },
  value: unknown,
  name: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) bad("invalid_headers", `${name}: ${describeZodError(parsed.error).replace(/^\(body\): /, "")}`);
  return parsed.data;
}

/** PUT /v1/sessions/:id/audio/:chunkSeq: raw interleaved stereo s16le (left = user, right = assistant). */
export const audioRoutes = new Hono<AppEnv>().put("/:id/audio/:chunkSeq", async (c) => {
  const seq = integerParam(c.req.param("chunkSeq"), "chunkSeq", "invalid_chunkseq", 0, MAX_CHUNK_SEQ);
  const type = (c.req.header("content-type") ?? "").trim();
  if (!/^application\/octet-stream\b/i.test(type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `audio chunks are raw PCM: Content-Type must be application/octet-stream, got "${type || "(none)"}"`,
    );
  }
  const sampleRate = integerParam(
    c.req.header(AUDIO_HEADERS.sampleRate),
    "X-Audio-Sample-Rate",
    "invalid_x_audio_sample_rate",
    MIN_RATE,
    MAX_RATE,
  );
  const channels = c.req.header(AUDIO_HEADERS.channels);
  if (channels !== undefined && channels.trim() !== "2") {
    bad(
      "invalid_audio_format",
      `audio chunks are interleaved stereo (left = user, right = assistant): X-Audio-Channels must be 2, got "${channels}"`,
    );
  }
  const startHeader = c.req.header(AUDIO_HEADERS.startFrame);
  const startFrame =
    startHeader === undefined
      ? undefined
      : integerParam(
          startHeader.trim(),
          "X-Audio-Start-Frame",
          "invalid_x_audio_start_frame",
          0,
          Number.MAX_SAFE_INTEGER,
        );
  const intro = introFrom(c.req.raw.headers);
  if (intro?.mode === "track") {
    throw new HttpError(
      403,
      "audio_not_recorded",
      "track sessions record no audio; send audio for observe sessions only",
    );
  }
  const bytes = await readBodyBytes(c.req.raw, { maxBytes: LIMITS.audioChunkBytes });
  if (bytes.byteLength === 0) bad("empty_audio_chunk", "an audio chunk must hold at least one stereo frame (4 bytes)");
  if (bytes.byteLength % FRAME_BYTES !== 0) {
    bad(
      "invalid_audio_chunk",
      `an audio chunk is whole stereo s16le frames (4 bytes each); ${bytes.byteLength} bytes is not a multiple of 4`,
    );
  }
  const ack = unwrap(
    await c.var.session.audio(c.var.caller, intro, {
      seq,
      sampleRate,
      bytes,
      ...(startFrame !== undefined ? { startFrame } : {}),
    }),
  );
  return c.json(ack);
});
