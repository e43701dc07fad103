/**
 * A local stand-in for Cekura on 127.0.0.1, for tests and `npm start`: the endpoints of
 * ../shared/cekura-contract.md, each request checked with zod (400 `{field: [messages]}` as Cekura
 * answers), 201 / 200, a repeated call id -> 409, everything received kept for assertions, and
 * fault injection (5xx, 429 with Retry-After, slow answers, hangs).
 *
 * In-process: `startCekuraStandIn()` -> `{ url, received, calls(), runs(), traces(), plan(), failNext(), stop() }`.
 * Over HTTP: `GET /__standin/requests`, `POST /__standin/faults` (a JSON Fault[]), `POST /__standin/reset`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

export type Endpoint = "observe" | "track" | "traces";

/** One planned misbehaviour, used by the next request to a matching endpoint. */
export interface Fault {
  /** Only requests to this endpoint use the fault; any endpoint when absent. */
  endpoint?: Endpoint;
  /** Answer with this status instead (e.g. 503, 429, 408). */
  status?: number;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: string | number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the client gives up or the stand-in stops). */
  hang?: boolean;
  /** Handle the request normally (store it) and only then misbehave: a lost answer. */
  afterStore?: boolean;
  body?: unknown;
}

export interface ReceivedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
  sha256: string;
}

export interface ReceivedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  endpoint: Endpoint | "unknown";
  contentType: string;
  /** Value of the API key header as received (tests compare it; the control API shows only its hash). */
  apiKey: string | null;
  agentIdHeader: string | null;
  headers: Record<string, string>;
  /** Parsed JSON body, or the multipart text fields with JSON-looking values parsed. */
  body: unknown;
  files: ReceivedFile[];
  rawBytes: number;
  /** What the stand-in answered (status 0: it never answered). */
  answer: { status: number; fault: boolean } | null;
  /** The call (observe) or calls (track) were stored: Cekura has them, whatever the answer said. */
  stored: boolean;
}

export interface CekuraStandInOptions {
  port?: number;
  host?: string;
  /** When set, only these keys are accepted (401 otherwise). */
  apiKeys?: string[];
  simulationPath?: string;
}

export interface CekuraStandIn {
  url: string;
  /** Every request, in arrival order. */
  received: ReceivedRequest[];
  /** Observe calls that were stored (one per call id: a repeat is a 409 and not stored). */
  calls(): ReceivedRequest[];
  /** Track webhook posts that were stored. */
  runs(): ReceivedRequest[];
  traces(): ReceivedRequest[];
  /** Queue faults; each is used by one request. */
  plan(...faults: Fault[]): void;
  /** The next `n` requests (to `endpoint`, or any) answer `status` (503 by default). */
  failNext(n: number, status?: number, endpoint?: Endpoint): void;
  /** Resolves once `predicate(received)` holds (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (received: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

export const STANDIN_OBSERVE_PATH = "/observability/v1/observe/";
export const STANDIN_DEFAULT_SIMULATION_PATH = "/test_framework/custom-provider-transcript-webhook/";

const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /T.*(Z|[+-]\d{2}:?\d{2})$/.test(v), "Enter a valid ISO-8601 date-time with a time zone.");
const jsonString = z.string().refine((v) => {
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}, "Must be a JSON-encoded string.");

const pipecatEntry = z.union([
  z.object({
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    start_time: z.number().nonnegative(),
    end_time: z.number().nonnegative(),
    timestamp: isoDate.optional(),
  }),
  z.object({ role: z.literal("tool_call"), data: z.object({ id: z.string(), name: z.string(), arguments: jsonString }), timestamp: isoDate.optional() }),
  z.object({ role: z.literal("tool_call_result"), data: z.object({ id: z.string(), name: z.string(), result: jsonString }), timestamp: isoDate.optional() }),
]);

export const observeSchema = z
  .object({
    call_id: z.string().min(1).max(100, "Ensure this field has no more than 100 characters."),
    agent: z.coerce.number().int().positive(),
    trace_id: z.string().regex(/^[0-9a-f]{32}$/, "Must be 32 lower-case hex characters.").optional(),
    transcript_type: z.enum(["pipecat", "vapi", "retell", "livekit", "elevenlabs", "cekura"]),
    transcript_json: z.array(pipecatEntry),
    voice_recording_url: z.string().url().optional(),
    main_agent_channel_index: z.coerce.number().int().min(0).max(1).optional(),
    timestamp: isoDate.optional(),
    call_ended_reason: z.string().max(255).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    customer_number: z.string().optional(),
    dynamic_variables: z.record(z.string(), z.unknown()).optional(),
    redact_fields: z.array(z.string()).optional(),
  })
  .strict();

const trackMessage = z.object({
  role: z.enum(["bot", "user", "system", "function_call", "function_call_result"]),
  content: z.string(),
  start_time: z.number().int().min(1e12, "Must be epoch milliseconds."),
  end_time: z.number().int().min(1e12, "Must be epoch milliseconds."),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const trackSchema = z.object({
  agent_id: z.number().int().positive(),
  calls: z
    .array(
      z.object({
        id: z.string().min(1).max(100),
        startedAt: isoDate,
        endedAt: isoDate,
        trace_id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
        messages: z.array(trackMessage),
        metadata: z.record(z.string(), z.unknown()).optional(),
        endedReason: z.string().optional(),
        to_phone_number: z.string().optional(),
        from_phone_number: z.string().optional(),
        run_id: z.string().optional(),
      }),
    )
    .min(1, "At least one call is required."),
});

/** Cekura-style (DRF) field errors: `{ "transcript_json.2.role": ["..."] }`. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "non_field_errors";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function maybeJson(value: string): unknown {
  const t = value.trim();
  if (!/^[[{]/.test(t)) return value;
  try {
    return JSON.parse(t);
  } catch {
    return value;
  }
}

export async function startCekuraStandIn(options: CekuraStandInOptions = {}): Promise<CekuraStandIn> {
  const simulationPath = options.simulationPath ?? STANDIN_DEFAULT_SIMULATION_PATH;
  const received: ReceivedRequest[] = [];
  const faults: Fault[] = [];
  const callIds = new Set<string>();
  const trackIds = new Set<string>();
  const hanging = new Set<ServerResponse>();
  let seq = 0;

  const endpointOf = (path: string): Endpoint | "unknown" =>
    path === STANDIN_OBSERVE_PATH ? "observe" : path === simulationPath ? "track" : path === "/v1/traces" ? "traces" : "unknown";

  const takeFault = (endpoint: Endpoint | "unknown"): Fault | undefined => {
    const i = faults.findIndex((f) => !f.endpoint || f.endpoint === endpoint);
    return i === -1 ? undefined : faults.splice(i, 1)[0];
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  async function misbehave(res: ServerResponse, fault: Fault, entry: ReceivedRequest | undefined): Promise<boolean> {
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.hang) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      if (entry) entry.answer = { status: 0, fault: true };
      return true;
    }
    if (fault.status) {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
      if (entry) entry.answer = { status: fault.status, fault: true };
      send(res, fault.status, fault.body ?? { detail: `stand-in fault: ${fault.status}` }, headers);
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://standin");
    const raw = await readBody(req);

    if (url.pathname.startsWith("/__standin/")) return control(req, res, url, raw);

    const endpoint = endpointOf(url.pathname);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "x-cekura-api-key") headers[k] = v;
    const entry: ReceivedRequest = {
      seq: seq++,
      at: new Date().toISOString(),
      method: req.method ?? "GET",
      path: url.pathname,
      endpoint,
      contentType: req.headers["content-type"] ?? "",
      apiKey: (req.headers["x-cekura-api-key"] as string | undefined) ?? null,
      agentIdHeader: (req.headers["x-cekura-agent-id"] as string | undefined) ?? null,
      headers,
      body: null,
      files: [],
      rawBytes: raw.byteLength,
      answer: null,
      stored: false,
    };
    received.push(entry);
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      entry.answer ??= { status, fault: false };
      send(res, status, body, extra);
    };

    // Parse first (so even a request answered by a fault shows what it carried), then misbehave, then validate.
    let body: Record<string, unknown> | undefined;
    let parseError: string | undefined;
    if (endpoint === "traces") {
      entry.body = entry.contentType.includes("json") ? maybeJson(raw.toString("utf8")) : { protobufBytes: raw.byteLength };
    } else if (entry.contentType.startsWith("multipart/form-data")) {
      try {
        const form = await new Request("http://standin/", { method: "POST", headers: { "content-type": entry.contentType }, body: new Uint8Array(raw) }).formData();
        body = {};
        for (const [name, value] of form.entries()) {
          if (typeof value === "string") body[name] = maybeJson(value);
          else {
            const file = value as unknown as File;
            const bytes = new Uint8Array(await file.arrayBuffer());
            entry.files.push({ field: name, filename: file.name, contentType: file.type, bytes, sha256: sha256(bytes) });
          }
        }
      } catch (error) {
        parseError = `Multipart form parse error: ${error instanceof Error ? error.message : String(error)}`;
      }
    } else {
      try {
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        parseError = "JSON parse error.";
      }
    }
    if (body) entry.body = body;

    const fault = takeFault(endpoint);
    if (fault && !fault.afterStore && (await misbehave(res, fault, entry))) return;

    if (endpoint === "unknown" || req.method !== "POST") return answer(404, { detail: "Not found." });
    if (!entry.apiKey) return answer(401, { detail: "Authentication credentials were not provided." });
    if (options.apiKeys && !options.apiKeys.includes(entry.apiKey)) return answer(401, { detail: "Invalid API key." });

    if (endpoint === "traces") {
      if (!entry.agentIdHeader) return answer(400, { "x-cekura-agent-id": ["This header is required."] });
      entry.stored = true;
      if (fault?.afterStore && (await misbehave(res, fault, entry))) return;
      return answer(200, { partialSuccess: {} });
    }
    if (!body) return answer(400, { non_field_errors: [parseError ?? "A body is required."] });

    if (endpoint === "observe") {
      const parsed = observeSchema.safeParse(body);
      if (!parsed.success) return answer(400, fieldErrors(parsed.error));
      const hasFile = entry.files.some((f) => f.field === "voice_recording");
      const unknownFile = entry.files.find((f) => f.field !== "voice_recording");
      if (unknownFile) return answer(400, { [unknownFile.field]: ["Unexpected file field."] });
      if (hasFile && parsed.data.voice_recording_url) return answer(400, { voice_recording: ["Send either a file or a URL, not both."] });
      if (callIds.has(parsed.data.call_id)) return answer(409, { call_id: ["call log with this call id already exists."] });
      callIds.add(parsed.data.call_id);
      entry.stored = true;
      if (fault?.afterStore && (await misbehave(res, fault, entry))) return;
      return answer(201, { id: callIds.size, call_id: parsed.data.call_id, agent: parsed.data.agent, status: "success" });
    }

    const parsed = trackSchema.safeParse(body);
    if (!parsed.success) return answer(400, fieldErrors(parsed.error));
    const dup = parsed.data.calls.find((c) => trackIds.has(c.id));
    if (dup) return answer(409, { calls: [`call ${dup.id} was already received.`] });
    for (const c of parsed.data.calls) trackIds.add(c.id);
    entry.stored = true;
    if (fault?.afterStore && (await misbehave(res, fault, entry))) return;
    return answer(200, { status: "ok", received: parsed.data.calls.length });
  }

  function control(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): void {
    if (req.method === "GET" && url.pathname === "/__standin/requests") {
      const view = received.map(({ apiKey, files, ...rest }) => ({
        ...rest,
        apiKeySha256: apiKey ? sha256(new TextEncoder().encode(apiKey)) : null,
        files: files.map(({ bytes, ...f }) => ({ ...f, size: bytes.byteLength })),
      }));
      return send(res, 200, { requests: view, pendingFaults: faults.length });
    }
    if (req.method === "POST" && url.pathname === "/__standin/faults") {
      const list = z.array(z.object({
        endpoint: z.enum(["observe", "track", "traces"]).optional(),
        status: z.number().int().min(100).max(599).optional(),
        retryAfter: z.union([z.string(), z.number()]).optional(),
        delayMs: z.number().nonnegative().optional(),
        hang: z.boolean().optional(),
        afterStore: z.boolean().optional(),
        body: z.unknown().optional(),
      })).safeParse(maybeJson(raw.toString("utf8")));
      if (!list.success) return send(res, 400, fieldErrors(list.error));
      faults.push(...(list.data as Fault[]));
      return send(res, 200, { pendingFaults: faults.length });
    }
    if (req.method === "POST" && url.pathname === "/__standin/reset") {
      api.reset();
      return send(res, 200, { reset: true });
    }
    return send(res, 404, { detail: "Not found." });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, { detail: `stand-in error: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;

  const stored = (endpoint: Endpoint) => () => received.filter((r) => r.endpoint === endpoint && r.stored);

  const api: CekuraStandIn = {
    url: `http://${options.host ?? "127.0.0.1"}:${address.port}`,
    received,
    calls: stored("observe"),
    runs: stored("track"),
    traces: stored("traces"),
    plan: (...more) => void faults.push(...more),
    failNext: (n, status = 503, endpoint) => {
      for (let i = 0; i < n; i++) faults.push({ status, ...(endpoint ? { endpoint } : {}) });
    },
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`stand-in: condition not met within ${timeoutMs} ms; received ${received.length} requests`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    reset() {
      received.length = 0;
      faults.length = 0;
      callIds.clear();
      trackIds.clear();
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
