/**
 * Issue 29 item 9: a first inspector view computes waveform peaks within a stated budget of bytes read
 * (32 MiB plus the header), however long the call: a 100 MiB recording is sampled by ranged reads, not
 * streamed whole through JavaScript, and the sampled peaks still show where the call is loud and quiet.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { loadPeaks } from "../../worker/inspect/peaks.ts";
import { squareWave, wavHeader } from "../support/wav-bytes.ts";

afterEach(() => reset());

const RATE = 48_000;
const PART = 10 * 1024 * 1024;
const PARTS = 10;
const DATA_BYTES = PART * PARTS - 44;
const BUDGET = 32 * 1024 * 1024;
const LOUD = 20_000;
const QUIET = 500;

/** RECORDINGS as the platform gives it, counting every byte a get's body yields. */
function counting(bucket: R2Bucket): { bucket: R2Bucket; read: () => number } {
  let read = 0;
  const wrapped = new Proxy(bucket, {
    get(target, prop) {
      if (prop !== "get") {
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (key: string, options?: R2GetOptions) => {
        const object = await target.get(key, options);
        if (!object || !("body" in object)) return object;
        const body = object.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.byteLength;
              controller.enqueue(chunk);
            },
          }),
        );
        return new Proxy(object, {
          get: (o, p) =>
            p === "body"
              ? body
              : p === "arrayBuffer"
                ? () => new Response(body).arrayBuffer()
                : p === "json"
                  ? async () => JSON.parse(await new Response(body).text())
                  : Reflect.get(o, p),
        });
      };
    },
  });
  return { bucket: wrapped, read: () => read };
}

it("reads at most the budget of a 100 MiB recording and still shows its loud first half and quiet second half", {
  timeout: 120_000,
}, async () => {
  const key = `audio/t/budget-${crypto.randomUUID()}.wav`;
  // A square wave of LOUD (first half) or QUIET (second half) on the user channel, QUIET on the assistant's.
  const loud = squareWave(PART, LOUD, QUIET);
  const quiet = squareWave(PART, QUIET, QUIET);
  const first = squareWave(PART, LOUD, QUIET);
  first.set(wavHeader(RATE, DATA_BYTES));
  const upload = await env.RECORDINGS.createMultipartUpload(key);
  const parts: R2UploadedPart[] = [];
  for (let n = 1; n <= PARTS; n++)
    parts.push(await upload.uploadPart(n, n === 1 ? first : n <= PARTS / 2 ? loud : quiet));
  await upload.complete(parts);

  const { bucket, read } = counting(env.RECORDINGS);
  const waveform = await loadPeaks({ ...(env as unknown as Env), RECORDINGS: bucket }, "t", "budget", {
    key,
    bytes: PART * PARTS,
    durationSeconds: DATA_BYTES / (RATE * 4),
  } as Parameters<typeof loadPeaks>[3]);
  expect(read()).toBeLessThanOrEqual(BUDGET + 64 * 1024);
  expect(waveform).toBeDefined();
  expect(waveform!.durationSeconds).toBeCloseTo(DATA_BYTES / (RATE * 4), 3);
  const [user, assistant] = waveform!.channels as [[number, number][], [number, number][]];
  const n = user.length;
  expect(n).toBeGreaterThanOrEqual(200);
  expect(user[Math.floor(n * 0.1)]![1]).toBeCloseTo(LOUD / 32767, 3);
  expect(user[Math.floor(n * 0.4)]![1]).toBeCloseTo(LOUD / 32767, 3);
  expect(user[Math.floor(n * 0.6)]![1]).toBeCloseTo(QUIET / 32767, 3);
  expect(user[n - 1]![1]).toBeCloseTo(QUIET / 32767, 3);
  expect(assistant[Math.floor(n / 2)]![1]).toBeCloseTo(QUIET / 32767, 3);
});
