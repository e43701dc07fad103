/**
 * A local stand-in for Cekura on 127.0.0.1, for tests and `npm start`: the endpoints of the forwarding
 * contract, each request checked with zod (400 `{field: [messages]}` as Cekura answers; shapes in
 * cekura-schemas.ts), 201 / 200, a repeated call id -> 409, everything received kept for assertions,
 * and fault injection (5xx, 429 with Retry-After, slow answers, hangs). OTLP traces are taken as JSON
 * or protobuf (decoded to the JSON form, so tests read both alike).
 *
 * In-process: `startCekuraStandIn()` -> `{ url, received, calls(), runs(), traces(), plan(), failNext(), stop() }`.
 * Over HTTP: `GET /__standin/requests`, `POST /__standin/faults` (a JSON Fault[]), `POST /__standin/reset`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { decodeTraceRequest, isProtobufType } from "../forward/otlp-protobuf.ts";
import { faultListSchema, fieldErrors, observeSchema, trackSchema, traceRequestSchema } from "./cekura-schemas.ts";

export { fieldErrors, observeSchema, trackSchema } from "./cekura-schemas.ts";

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
const TRACES_PATH = "/v1/traces";

/** Everything one stand-in knows; the functions below take it rather than closing over it. */
interface StandInState {
  options: CekuraStandInOptions;
  simulationPath: string;
  received: ReceivedRequest[];
  faults: Fault[];
  callIds: Set<string>;
  trackIds: Set<string>;
  hanging: Set<ServerResponse>;
  seq: number;
}

/** What a request to a Cekura endpoint gets: a status and a JSON body. */
interface Answer {
  status: number;
  body: unknown;
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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function endpointOf(state: StandInState, path: string): Endpoint | "unknown" {
  if (path === STANDIN_OBSERVE_PATH) return "observe";
  if (path === state.simulationPath) return "track";
  return path === TRACES_PATH ? "traces" : "unknown";
}

function takeFault(state: StandInState, endpoint: Endpoint | "unknown"): Fault | undefined {
  const i = state.faults.findIndex((f) => !f.endpoint || f.endpoint === endpoint);
  return i === -1 ? undefined : state.faults.splice(i, 1)[0];
}

/** Acts out a fault (delay, hang, status); true when the request has been answered (or never will be). */
async function misbehave(
  state: StandInState,
  res: ServerResponse,
  fault: Fault,
  entry: ReceivedRequest,
): Promise<boolean> {
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault.hang) {
    state.hanging.add(res);
    res.on("close", () => state.hanging.delete(res));
    entry.answer = { status: 0, fault: true };
    return true;
  }
  if (fault.status) {
    const headers: Record<string, string> =
      fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
    entry.answer = { status: fault.status, fault: true };
    send(res, fault.status, fault.body ?? { detail: `stand-in fault: ${fault.status}` }, headers);
    return true;
  }
  return false;
}

function newEntry(
  state: StandInState,
  req: IncomingMessage,
  path: string,
  endpoint: Endpoint | "unknown",
  rawBytes: number,
): ReceivedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === "string" && k !== "x-cekura-api-key") headers[k] = v;
  return {
    seq: state.seq++,
    at: new Date().toISOString(),
    method: req.method ?? "GET",
    path,
    endpoint,
    contentType: req.headers["content-type"] ?? "",
    apiKey: (req.headers["x-cekura-api-key"] as string | undefined) ?? null,
    agentIdHeader: (req.headers["x-cekura-agent-id"] as string | undefined) ?? null,
    headers,
    body: null,
    files: [],
    rawBytes,
    answer: null,
    stored: false,
  };
}

/** An OTLP export as JSON whatever its encoding (gzip undone first), or why it could not be read. */
function parseTraces(entry: ReceivedRequest, raw: Buffer): string | undefined {
  try {
    const bytes = entry.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
    entry.body = isProtobufType(entry.contentType)
      ? decodeTraceRequest(new Uint8Array(bytes))
      : JSON.parse(bytes.toString("utf8"));
    return undefined;
  } catch (error) {
    entry.body = { unreadableBytes: raw.byteLength };
    return `OTLP body could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A multipart form: text fields (JSON-looking ones parsed) into the body, files into `entry.files`. */
async function parseMultipart(entry: ReceivedRequest, raw: Buffer): Promise<Record<string, unknown>> {
  const form = await new Request("http://standin/", {
    method: "POST",
    headers: { "content-type": entry.contentType },
    body: new Uint8Array(raw),
  }).formData();
  const body: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") body[name] = maybeJson(value);
    else {
      const file = value as unknown as File;
      const bytes = new Uint8Array(await file.arrayBuffer());
      entry.files.push({ field: name, filename: file.name, contentType: file.type, bytes, sha256: sha256(bytes) });
    }
  }
  return body;
}

/** Parses before anything else, so even a request answered by a fault shows what it carried. */
async function parseBody(
  entry: ReceivedRequest,
  raw: Buffer,
): Promise<{ body?: Record<string, unknown>; error?: string }> {
  if (entry.endpoint === "traces") return { error: parseTraces(entry, raw) };
  try {
    const body = entry.contentType.startsWith("multipart/form-data")
      ? await parseMultipart(entry, raw)
      : (JSON.parse(raw.toString("utf8")) as Record<string, unknown>);
    entry.body = body;
    return { body };
  } catch (error) {
    const multipart = entry.contentType.startsWith("multipart/form-data");
    return {
      error: multipart
        ? `Multipart form parse error: ${error instanceof Error ? error.message : String(error)}`
        : "JSON parse error.",
    };
  }
}

/** Authentication, as Cekura checks it; an answer when the request is refused. */
function refuse(state: StandInState, req: IncomingMessage, entry: ReceivedRequest): Answer | undefined {
  if (entry.endpoint === "unknown" || req.method !== "POST") return { status: 404, body: { detail: "Not found." } };
  if (!entry.apiKey) return { status: 401, body: { detail: "Authentication credentials were not provided." } };
  if (state.options.apiKeys && !state.options.apiKeys.includes(entry.apiKey))
    return { status: 401, body: { detail: "Invalid API key." } };
  return undefined;
}

function acceptTraces(entry: ReceivedRequest, parseError: string | undefined): Answer {
  if (!entry.agentIdHeader) return { status: 400, body: { "x-cekura-agent-id": ["This header is required."] } };
  if (parseError) return { status: 400, body: { non_field_errors: [parseError] } };
  const parsed = traceRequestSchema.safeParse(entry.body);
  if (!parsed.success) return { status: 400, body: fieldErrors(parsed.error) };
  entry.stored = true;
  return { status: 200, body: { partialSuccess: {} } };
}

function acceptObserve(state: StandInState, entry: ReceivedRequest, body: Record<string, unknown>): Answer {
  const parsed = observeSchema.safeParse(body);
  if (!parsed.success) return { status: 400, body: fieldErrors(parsed.error) };
  const unknownFile = entry.files.find((f) => f.field !== "voice_recording");
  if (unknownFile) return { status: 400, body: { [unknownFile.field]: ["Unexpected file field."] } };
  if (entry.files.length > 0 && parsed.data.voice_recording_url)
    return { status: 400, body: { voice_recording: ["Send either a file or a URL, not both."] } };
  if (state.callIds.has(parsed.data.call_id))
    return { status: 409, body: { call_id: ["call log with this call id already exists."] } };
  state.callIds.add(parsed.data.call_id);
  entry.stored = true;
  return {
    status: 201,
    body: { id: state.callIds.size, call_id: parsed.data.call_id, agent: parsed.data.agent, status: "success" },
  };
}

function acceptTrack(state: StandInState, entry: ReceivedRequest, body: Record<string, unknown>): Answer {
  const parsed = trackSchema.safeParse(body);
  if (!parsed.success) return { status: 400, body: fieldErrors(parsed.error) };
  const dup = parsed.data.calls.find((c) => state.trackIds.has(c.id));
  if (dup) return { status: 409, body: { calls: [`call ${dup.id} was already received.`] } };
  for (const c of parsed.data.calls) state.trackIds.add(c.id);
  entry.stored = true;
  return { status: 200, body: { status: "ok", received: parsed.data.calls.length } };
}

async function handle(
  state: StandInState,
  api: CekuraStandIn,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://standin");
  const raw = await readBody(req);
  if (url.pathname.startsWith("/__standin/")) return control(state, api, req, res, url, raw);

  const entry = newEntry(state, req, url.pathname, endpointOf(state, url.pathname), raw.byteLength);
  state.received.push(entry);
  const parsed = await parseBody(entry, raw);

  const fault = takeFault(state, entry.endpoint);
  if (fault && !fault.afterStore && (await misbehave(state, res, fault, entry))) return;

  let answer = refuse(state, req, entry);
  if (!answer) {
    if (entry.endpoint === "traces") answer = acceptTraces(entry, parsed.error);
    else if (!parsed.body)
      answer = { status: 400, body: { non_field_errors: [parsed.error ?? "A body is required."] } };
    else
      answer =
        entry.endpoint === "observe"
          ? acceptObserve(state, entry, parsed.body)
          : acceptTrack(state, entry, parsed.body);
  }
  // A lost answer: stored, then the fault.
  if (entry.stored && fault?.afterStore && (await misbehave(state, res, fault, entry))) return;
  entry.answer ??= { status: answer.status, fault: false };
  send(res, answer.status, answer.body);
}

function control(
  state: StandInState,
  api: CekuraStandIn,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  raw: Buffer,
): void {
  if (req.method === "GET" && url.pathname === "/__standin/requests") {
    const view = state.received.map(({ apiKey, files, ...rest }) => ({
      ...rest,
      apiKeySha256: apiKey ? sha256(new TextEncoder().encode(apiKey)) : null,
      files: files.map(({ bytes, ...f }) => ({ ...f, size: bytes.byteLength })),
    }));
    return send(res, 200, { requests: view, pendingFaults: state.faults.length });
  }
  if (req.method === "POST" && url.pathname === "/__standin/faults") {
    const list = faultListSchema.safeParse(maybeJson(raw.toString("utf8")));
    if (!list.success) return send(res, 400, fieldErrors(list.error));
    state.faults.push(...(list.data as Fault[]));
    return send(res, 200, { pendingFaults: state.faults.length });
  }
  if (req.method === "POST" && url.pathname === "/__standin/reset") {
    api.reset();
    return send(res, 200, { reset: true });
  }
  return send(res, 404, { detail: "Not found." });
}

function createApi(state: StandInState, server: Server, url: string): CekuraStandIn {
  const stored = (endpoint: Endpoint) => () => state.received.filter((r) => r.endpoint === endpoint && r.stored);
  return {
    url,
    received: state.received,
    calls: stored("observe"),
    runs: stored("track"),
    traces: stored("traces"),
    plan: (...more) => void state.faults.push(...more),
    failNext: (n, status = 503, endpoint) => {
      for (let i = 0; i < n; i++) state.faults.push({ status, ...(endpoint ? { endpoint } : {}) });
    },
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(state.received)) {
        if (Date.now() > deadline)
          throw new Error(
            `stand-in: condition not met within ${timeoutMs} ms; received ${state.received.length} requests`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    reset() {
      state.received.length = 0;
      state.faults.length = 0;
      state.callIds.clear();
      state.trackIds.clear();
    },
    async stop() {
      for (const res of state.hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startCekuraStandIn(options: CekuraStandInOptions = {}): Promise<CekuraStandIn> {
  const state: StandInState = {
    options,
    simulationPath: options.simulationPath ?? STANDIN_DEFAULT_SIMULATION_PATH,
    received: [],
    faults: [],
    callIds: new Set(),
    trackIds: new Set(),
    hanging: new Set(),
    seq: 0,
  };
  let api: CekuraStandIn | undefined;
  const server = createServer((req, res) => {
    handle(state, api!, req, res).catch((error) => {
      if (!res.headersSent)
        send(res, 500, { detail: `stand-in error: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  api = createApi(state, server, `http://${options.host ?? "127.0.0.1"}:${address.port}`);
  return api;
}
