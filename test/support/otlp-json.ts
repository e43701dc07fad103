/** OTLP/HTTP JSON request bodies for tests that post spans to the Worker themselves. */

/** One OTLP/HTTP JSON span of the session with `text` in a string attribute. */
export function spanRequest(sessionId: string, text: string, traceId = hex(32), name = "stt") {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "agent" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: hex(16),
                name,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 1_000_000n),
                attributes: [
                  { key: "conversation.id", value: { stringValue: sessionId } },
                  { key: "transcript", value: { stringValue: text } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

export function hex(n: number): string {
  return [...crypto.getRandomValues(new Uint8Array(n / 2))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
