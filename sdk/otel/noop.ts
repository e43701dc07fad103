import type { ServiceSpanHandle, ToolCallHandle, TurnHandle } from "./types.ts";

/** What `startTurn()` returns with `enableOtelTraces: false`: same surface, no provider, no spans. */
function noopService(kind: ServiceSpanHandle["kind"]): ServiceSpanHandle {
  const handle: ServiceSpanHandle = {
    kind,
    ttfb: () => handle,
    text: () => handle,
    input: () => handle,
    usage: () => handle,
    set: () => handle,
    end: () => {},
  };
  return handle;
}

const noopTool: ToolCallHandle = { end: () => {} };

export function noopTurn(): TurnHandle {
  return {
    number: 0,
    stt: () => noopService("stt"),
    llm: () => noopService("llm"),
    tts: () => noopService("tts"),
    toolCall: () => noopTool,
    end: () => {},
  };
}
