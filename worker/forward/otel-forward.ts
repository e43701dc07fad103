import { parseRetryAfter } from "../../sdk/retry.ts";
import { classifyResponse, type AttemptResult } from "./policy.ts";
import { toTraceRequest, type SpanItem } from "./otel-wire.ts";

export interface OtelSendOptions {
  /** CEKURA_OTEL_ENDPOINT, the full URL (e.g. https://otel-http.cekura.ai/v1/traces). */
  endpoint: string;
  /** Sent only as x-cekura-api-key, never in a URL or error text. */
  apiKey: string;
  agentId: number;
  items: Pick<SpanItem, "resource" | "scope" | "span">[];
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** One OTLP/HTTP JSON export of held spans to Cekura's collector, classified like a record forward. */
export async function sendSpans(options: OtelSendOptions): Promise<AttemptResult> {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  try {
    const response = await doFetch(options.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-cekura-api-key": options.apiKey,
        "x-cekura-agent-id": String(options.agentId),
      },
      body: JSON.stringify(toTraceRequest(options.items)),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = response.ok ? "" : (await response.text()).slice(0, 2000);
    if (response.ok) await response.body?.cancel();
    return classifyResponse(response.status, body, parseRetryAfter(response.headers.get("retry-after"), Date.now()));
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const text = error instanceof Error ? error.message : String(error);
    return {
      kind: "retryable",
      status: null,
      error: timedOut ? `no answer within ${options.timeoutMs} ms` : `network error: ${text}`,
    };
  }
}
