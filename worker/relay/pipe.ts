/**
 * Relays two accepted WebSockets to each other: every frame unchanged and in order, text and binary,
 * both directions; a close on one side closes the other with its code and reason. Each frame is sent
 * on first, then shown to `tap`, which must not throw (RelayRecording catches everything).
 *
 * Backpressure: a Workers WebSocket has no send-side flow control; frames are forwarded as they arrive
 * and buffered by the runtime, bounded by the isolate's memory (128 MB). Message size: whatever the
 * platform accepts (Cloudflare: 32 MiB per message); the relay adds no limit of its own.
 */
import { closeOther } from "./close-codes.ts";

export interface PipeTap {
  fromClient(frame: string | ArrayBuffer): void;
  fromServer(frame: string | ArrayBuffer): void;
}

export interface PipeEnd {
  /** Which side closed first, with its code and reason (or "error"). */
  by: "client" | "upstream";
  code: number;
  reason: string;
}

export function pipe(client: WebSocket, upstream: WebSocket, tap: PipeTap): Promise<PipeEnd> {
  // Binary frames as ArrayBuffers: a Blob would need an await (reordering frames) and send() would stringify it.
  for (const ws of [client, upstream]) (ws as { binaryType?: string }).binaryType = "arraybuffer";
  return new Promise<PipeEnd>((resolve) => {
    let ended = false;
    const end = (by: PipeEnd["by"], code: number, reason: string) => {
      if (ended) return;
      ended = true;
      closeOther(by === "client" ? upstream : client, code, reason);
      resolve({ by, code, reason });
    };
    client.addEventListener("message", (event) => {
      const data = event.data as string | ArrayBuffer;
      try {
        upstream.send(data);
      } catch {
        return end("upstream", 1011, "upstream not open");
      }
      tap.fromClient(data);
    });
    upstream.addEventListener("message", (event) => {
      const data = event.data as string | ArrayBuffer;
      try {
        client.send(data);
      } catch {
        return end("client", 1011, "client not open");
      }
      tap.fromServer(data);
    });
    client.addEventListener("close", (event) => end("client", event.code, event.reason));
    upstream.addEventListener("close", (event) => end("upstream", event.code, event.reason));
    // A frame over the runtime's size limit errors the socket: the other side gets 1009 too. Any other error
    // may be followed by its close, with its code: give that a turn to arrive.
    const errored = (by: PipeEnd["by"], event: Event) => {
      const message = String((event as { message?: unknown }).message ?? "");
      if (/too large/i.test(message)) end(by, 1009, "Message is too large");
      else setTimeout(() => end(by, 1006, ""), 0);
    };
    client.addEventListener("error", (event) => errored("client", event));
    upstream.addEventListener("error", (event) => errored("upstream", event));
  });
}
