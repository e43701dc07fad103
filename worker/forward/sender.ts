import type { SessionRecord } from "../session/record.ts";
import type { AudioSource } from "./audio-source.ts";
import { parseRetryAfter } from "../../sdk/retry.ts";
import { streamedMultipart } from "./multipart.ts";
import { buildObservePayload, observeFormFields } from "./observe-payload.ts";
import { classifyResponse, type AttemptResult } from "./policy.ts";
import { buildTrackPayload } from "./track-payload.ts";

export const OBSERVE_PATH = "/observability/v1/observe/";

export interface SendOptions {
  record: SessionRecord;
  /** CEKURA_HOST without a trailing slash. */
  host: string;
  simulationPath: string;
  /** Sent only as X-CEKURA-API-KEY, never in the URL or an error text. */
  apiKey: string;
  /** Where the record's WAV is read from. */
  audio: AudioSource;
  /** "multipart": stream the WAV as the `voice_recording` part; "url": send a signed `voice_recording_url`. */
  audioAs?: "multipart" | "url";
  audioUrlTtlSeconds?: number;
  timeoutMs: number;
  /** CEKURA_OTEL_ENDPOINT is set: the session's spans reach Cekura, so the payload may name their trace. */
  spansForwarded: boolean;
  fetch?: typeof fetch;
}

const MAX_ERROR_BODY = 4000;

/** One attempt: builds the request for the record's mode, sends it, classifies the answer. */
export async function sendRecord(options: SendOptions): Promise<AttemptResult> {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  let request: Request;
  try {
    const built = await buildRequest(options);
    if ("unsendable" in built) return { kind: "unsendable", error: built.unsendable };
    request = built.request;
  } catch (error) {
    return { kind: "retryable", status: null, error: `could not prepare the request: ${errorText(error)}` };
  }
  try {
    const response = await doFetch(request, { signal: AbortSignal.timeout(options.timeoutMs) });
    const body = response.ok ? "" : (await response.text()).slice(0, MAX_ERROR_BODY);
    if (response.ok) await response.body?.cancel();
    return classifyResponse(response.status, body, parseRetryAfter(response.headers.get("retry-after"), Date.now()));
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      kind: "retryable",
      status: null,
      error: timedOut ? `no answer within ${options.timeoutMs} ms` : `network error: ${errorText(error)}`,
    };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function buildRequest(options: SendOptions): Promise<{ request: Request } | { unsendable: string }> {
  const { record } = options;
  const headers = new Headers({
    "x-cekura-api-key": options.apiKey,
    "idempotency-key": `${record.mode}:${record.sessionId}`,
    "user-agent": "cekura-edge-tracer/0.1",
    accept: "application/json",
  });
  if (record.mode === "track") {
    headers.set("content-type", "application/json");
    const url = `${options.host}${options.simulationPath}`;
    return {
      request: new Request(url, { method: "POST", headers, body: JSON.stringify(buildTrackPayload(record, options)) }),
    };
  }

  const url = `${options.host}${OBSERVE_PATH}`;
  const payload = buildObservePayload(record, options);
  if (!record.audio) {
    headers.set("content-type", "application/json");
    return { request: new Request(url, { method: "POST", headers, body: JSON.stringify(payload) }) };
  }
  if (options.audioAs === "url") {
    if (!options.audio.signedUrl)
      return { unsendable: `FORWARD_AUDIO_AS=url needs S3 storage: ${options.audio.kind} cannot sign a URL` };
    const voiceRecordingUrl = await options.audio.signedUrl(record.audio.key, options.audioUrlTtlSeconds ?? 86_400);
    headers.set("content-type", "application/json");
    return {
      request: new Request(url, {
        method: "POST",
        headers,
        body: JSON.stringify({ ...payload, voice_recording_url: voiceRecordingUrl }),
      }),
    };
  }
  const object = await options.audio.open(record.audio.key);
  if (!object)
    return { unsendable: `the recording ${record.audio.key} is not in storage; the call was not sent without it` };
  const multipart = streamedMultipart(observeFormFields(payload), {
    field: "voice_recording",
    filename: `${record.sessionId}.wav`,
    contentType: "audio/wav",
    size: object.size,
    body: object.body,
  });
  headers.set("content-type", multipart.contentType);
  headers.set("content-length", String(multipart.length));
  return { request: new Request(url, { method: "POST", headers, body: multipart.body }) };
}
