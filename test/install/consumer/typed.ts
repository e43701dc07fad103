// A TypeScript user of the installed package, type-checked under NodeNext resolution (see tsconfig.consumer.json).
import {
  CekuraTracer,
  DEFAULTS,
  SessionClosedError,
  type CekuraSession,
  type SessionStats,
  type SessionStatus,
} from "cekura-edge-tracer";
import { observeEventStream } from "cekura-edge-tracer/event-stream";
const tracer = new CekuraTracer({ apiKey: "k", agentId: 1, ingestUrl: "http://127.0.0.1:9" });
const session: CekuraSession = tracer.observe({ sessionId: "x" });
session.transcript({ role: "user", text: "hi" });
const stats: SessionStats = session.stats();
const closing: Promise<SessionStatus> = session.close();
const n: number = DEFAULTS.closeTimeoutMs + stats.sent.events;
void closing;
void n;
void observeEventStream;
void SessionClosedError;
// @ts-expect-error the entry exports no Session class
import type { Session } from "cekura-edge-tracer";
