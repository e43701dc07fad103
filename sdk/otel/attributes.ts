/**
 * Span names and attribute keys exactly as Pipecat's tracing sets them (pipecat/utils/tracing),
 * plus the `tool_call` span Cekura's trace view understands (`function.name`).
 */
export const SPAN = {
  conversation: "conversation",
  turn: "turn",
  stt: "stt",
  llm: "llm",
  tts: "tts",
  toolCall: "tool_call",
} as const;

export const ATTR = {
  conversationId: "conversation.id",
  conversationType: "conversation.type",
  turnNumber: "turn.number",
  turnType: "turn.type",
  turnDurationSeconds: "turn.duration_seconds",
  turnWasInterrupted: "turn.was_interrupted",
  turnUserBotLatencySeconds: "turn.user_bot_latency_seconds",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  operationName: "gen_ai.operation.name",
  ttfb: "metrics.ttfb",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  characterCount: "metrics.character_count",
  transcript: "transcript",
  isFinal: "is_final",
  language: "language",
  voiceId: "voice_id",
  text: "text",
  output: "output",
  input: "input",
  tools: "tools",
  toolsCount: "tools.count",
  toolsNames: "tools.names",
  functionName: "function.name",
  toolCallId: "tool.call_id",
  toolIsError: "tool.is_error",
  serviceName: "service.name",
} as const;

/** `gen_ai.operation.name` per service span, as Pipecat sets it. */
export const OPERATION = { stt: "stt", llm: "chat", tts: "tts" } as const;

/** The session header the Worker also routes spans by (besides `conversation.id`). */
export const SESSION_HEADER = "x-cekura-session-id";
