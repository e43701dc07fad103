/**
 * The Worker's HTTP API as the tests call it, over any fetch: `SELF.fetch` inside workerd
 * (test/support/workerd/api.ts) or the global fetch against a local Worker on 127.0.0.1.
 * Every call returns the raw Response, so a test can check status, headers and body.
 */

export interface WorkerApiOptions {
  /** e.g. `http://127.0.0.1:8787`, or any origin when `fetch` is SELF.fetch. */
  baseUrl: string;
  /** The API key (sent as `Authorization: Bearer`). */
  key: string;
  fetch?: (request: Request) => Promise<Response>;
}

export interface AudioChunkOptions {
  sampleRate?: number;
  /** X-Audio-Start-Frame: where the chunk starts in the call's timeline (stereo frames). */
  startFrame?: number;
  /** First contact: X-Cekura-Agent-Id / X-Cekura-Mode (+ defer upload). */
  intro?: { agentId: number; mode: "observe" | "track"; deferUpload?: boolean | "audio" };
  headers?: Record<string, string>;
}

export function workerApi(options: WorkerApiOptions) {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const base = options.baseUrl.replace(/\/+$/, "");

  /** Any request; a body that is not a string or bytes is sent as JSON. `key: null` sends no key. */
  function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    key: string | null = options.key,
  ) {
    const all: Record<string, string> = { ...headers };
    if (key) all["authorization"] = `Bearer ${key}`;
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (typeof body === "string" || body instanceof Uint8Array) payload = body as BodyInit;
      else payload = JSON.stringify(body);
      if (!Object.keys(all).some((h) => h.toLowerCase() === "content-type")) all["content-type"] = "application/json";
    }
    return send(new Request(`${base}${path}`, { method, headers: all, body: payload }));
  }

  const session = (id: string) => `/v1/sessions/${encodeURIComponent(id)}`;
  return {
    call,
    fragment: (id: string, body: unknown) => call("POST", `${session(id)}/fragments`, body),
    close: (id: string, body: unknown) => call("POST", `${session(id)}/close`, body),
    status: (id: string) => call("GET", session(id)),
    record: (id: string) => call("GET", `${session(id)}/record`),
    consent: (id: string, body: unknown = {}) => call("POST", `${session(id)}/consent`, body),
    abort: (id: string, body: unknown = {}) => call("POST", `${session(id)}/abort`, body),
    abortRecording: (id: string, body: unknown = {}) => call("POST", `${session(id)}/abort-recording`, body),
    requeue: (id: string) => call("POST", `${session(id)}/forward/requeue`),
    putAudio(id: string, seq: number, bytes: Uint8Array, chunk: AudioChunkOptions = {}) {
      const headers: Record<string, string> = {
        "content-type": "application/octet-stream",
        "x-audio-sample-rate": String(chunk.sampleRate ?? 16000),
      };
      if (chunk.startFrame !== undefined) headers["x-audio-start-frame"] = String(chunk.startFrame);
      if (chunk.intro) {
        headers["x-cekura-agent-id"] = String(chunk.intro.agentId);
        headers["x-cekura-mode"] = chunk.intro.mode;
        if (chunk.intro.deferUpload !== undefined) headers["x-cekura-defer-upload"] = String(chunk.intro.deferUpload);
      }
      return call("PUT", `${session(id)}/audio/${seq}`, bytes, { ...headers, ...chunk.headers });
    },
  };
}

export type WorkerApi = ReturnType<typeof workerApi>;

/** UTC ms timestamps of a call that started at `start` (epoch ms): `at(1500)` is 1.5 s in. */
export const clockFrom = (start: number) => (ms: number) => new Date(start + ms).toISOString();

/** A fragment body (agent 42, observe) with its events. */
export function fragmentBody(
  seq: number,
  events: unknown[] = [],
  extra: Record<string, unknown> = {},
  at = clockFrom(Date.UTC(2026, 10, 25, 12)),
) {
  return { agentId: 42, mode: "observe", seq, sentAt: at(seq * 1000), events, ...extra };
}
