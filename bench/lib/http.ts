/** The benches' requests to a local Worker: a refusal stops the run, saying what was refused. */

/** The JSON answer of an ok response (undefined when empty); throws with status and body otherwise. */
export async function must(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** POSTs a JSON body with `send` (fetch, or a fetch with retries) and requires an ok answer. */
export async function postJson(
  send: (url: string, init: RequestInit) => Promise<Response>,
  url: string,
  headers: Record<string, string>,
  body: string,
  what: string,
): Promise<unknown> {
  return must(
    await send(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body }),
    what,
  );
}
