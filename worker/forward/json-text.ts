/**
 * Cekura takes tool arguments and results as JSON-encoded strings and refuses the whole call otherwise.
 * Agents record what the model produced, which is not always valid JSON (a truncated or chatty tool call):
 * such text is sent as a JSON string literal, so the call is delivered and the text kept as it was.
 */
export function jsonEncoded(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}
