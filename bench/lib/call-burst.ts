/**
 * Closed-loop request bursts for the CPU diagnostics (bench/cpu-per-request.ts, bench/profile-worker.ts):
 * `inFlight` lanes send `requests` requests in all, as the call model does or one kind only.
 */
import { AUDIO_CHUNK_SECONDS, audioChunkHeaders, eventsOfSecond, fragmentBody, stereoPcm } from "./call-model.ts";

export type BurstKind = "call" | "fragment" | "audio";
export const BURST_KINDS: readonly BurstKind[] = ["call", "fragment", "audio"];

export interface BurstOptions {
  kind: BurstKind;
  requests: number;
  inFlight: number;
  /** `call`: seconds of call per session; `fragment` / `audio`: requests per session. */
  callSeconds: number;
}

const pcm = stereoPcm(AUDIO_CHUNK_SECONDS);
const headers = { authorization: "Bearer bench-cpu-key" };
const steady = [...eventsOfSecond(1, Date.now()), ...eventsOfSecond(2, Date.now())];

type Step = { audio: number } | { fragment: number; second: number };

/** The requests of one session, in order. */
function plan({ kind, callSeconds }: BurstOptions): Step[] {
  const steps: Step[] = [];
  if (kind === "fragment") for (let i = 0; i < callSeconds; i++) steps.push({ fragment: i, second: -1 });
  if (kind === "audio") for (let i = 0; i < callSeconds; i++) steps.push({ audio: i });
  if (kind === "call") {
    let seq = 0;
    for (let s = 0; s < callSeconds; s++) {
      if (eventsOfSecond(s, 0).length > 0) steps.push({ fragment: seq++, second: s });
      if ((s + 1) % AUDIO_CHUNK_SECONDS === 0) steps.push({ audio: (s + 1) / AUDIO_CHUNK_SECONDS - 1 });
    }
  }
  return steps;
}

/** Sends the burst; each session is new (first contact included). */
export async function burst(
  url: string,
  tag: string,
  options: BurstOptions,
): Promise<{ ms: number; failed: number; sample?: string }> {
  const steps = plan(options);
  let next = 0;
  let failed = 0;
  let sample: string | undefined;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: options.inFlight }, async (_, lane) => {
      let session = "";
      let callStart = 0;
      let startedAt = "";
      for (let k = 0; next < options.requests; k++) {
        next++;
        const step = steps[k % steps.length]!;
        if (k % steps.length === 0) {
          session = `${url}/v1/sessions/cpu-${tag}-${lane}-${k}`;
          callStart = Date.now();
          startedAt = new Date(callStart).toISOString();
        }
        const response =
          "audio" in step
            ? await fetch(`${session}/audio/${step.audio}`, {
                method: "PUT",
                headers: { ...headers, ...audioChunkHeaders(startedAt) },
                body: pcm,
              })
            : await fetch(`${session}/fragments`, {
                method: "POST",
                headers: { ...headers, "content-type": "application/json" },
                body: fragmentBody(
                  step.fragment,
                  step.second < 0 ? steady : eventsOfSecond(step.second, callStart),
                  startedAt,
                ),
              });
        const text = await response.text();
        if (!response.ok) {
          failed++;
          sample ??= `${response.status} ${text.slice(0, 200)}`;
        }
      }
    }),
  );
  return { ms: performance.now() - t0, failed, ...(sample ? { sample } : {}) };
}
