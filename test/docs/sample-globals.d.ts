// Names the docs' code samples take as given (the prose around each sample says where they come from).
import type { CekuraSession, CekuraTracer } from "cekura-edge-tracer";

declare global {
  const cekura: CekuraTracer;
  const session: CekuraSession;
  const s: CekuraSession;
  const apiKey: string;
  /** A Cekura API key, and an OpenAI key (the relay's samples). */
  const cekuraKey: string;
  const openaiKey: string;
  const agentId: number;
  const sessionId: string;
  const callSid: string;
  const ctx: { waitUntil(promise: Promise<unknown>): void };
  const t0: number;
  const t1: number;
  const pcm: Int16Array;
  /** Any event emitter of your agent framework. */
  const agent: { on(event: string, listener: (...args: any[]) => void): unknown };
}
