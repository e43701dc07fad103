/**
 * Every outbound request the Worker makes during each test (its Durable Objects run in the test's isolate, so
 * theirs too), recorded by wrapping the global fetch. A request to a reserved `.invalid` host is recorded and
 * answered 204 here, never sent: a test can prove the recorder sees what an object fetches.
 */
import { afterEach, beforeEach } from "vitest";

export interface OutboundRequest {
  url: string;
  body: string;
}

/** Installs the recorder before each test and restores the real fetch after it; `requests` are this test's. */
export function recordOutbound(): { readonly requests: OutboundRequest[] } {
  let requests: OutboundRequest[] = [];
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    requests = [];
    globalThis.fetch = async function recordingFetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      requests.push({ url: request.url, body: request.body ? await request.clone().text() : "" });
      if (new URL(request.url).hostname.endsWith(".invalid")) return new Response(null, { status: 204 });
      return realFetch(request);
    } as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });
  return {
    get requests() {
      return requests;
    },
  };
}
