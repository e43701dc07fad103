/** The Cekura side of a relayed call, from X-Cekura-* headers; bad values are 400s, a refused key 401. */
import { configOf } from "../config.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { keysConfigured, keysNotConfigured } from "../privacy/key-policy.ts";
import { sha256Hex } from "../util/sha256.ts";
import type { RelayIdentity } from "./recording.ts";

const SESSION_ID = /^[A-Za-z0-9._:@+=-]{1,100}$/;

export async function relayIdentity(env: Env, headers: Headers, url: URL): Promise<RelayIdentity> {
  if (!keysConfigured(env)) throw keysNotConfigured();
  // Only X-Cekura-Api-Key: Authorization carries the client's OpenAI key, which goes upstream.
  const apiKey = headers.get("x-cekura-api-key")?.trim();
  if (!apiKey) throw new HttpError(401, "missing_api_key", "send the Cekura API key as `X-Cekura-Api-Key: <key>`");
  const { apiKeyHashes } = configOf(env);
  if (apiKeyHashes.size > 0 && !apiKeyHashes.has(await sha256Hex(apiKey)))
    throw new HttpError(401, "unknown_api_key", "this API key is not on the Worker's allow-list (API_KEY_HASHES)");

  const agentText = headers.get("x-cekura-agent-id")?.trim() ?? "";
  const agentId = /^\d{1,15}$/.test(agentText) ? Number(agentText) : 0;
  if (agentId <= 0)
    throw new HttpError(400, "invalid_x_cekura_agent_id", "X-Cekura-Agent-Id must be a positive integer");

  const sessionId = headers.get("x-cekura-session-id")?.trim() || crypto.randomUUID();
  if (!SESSION_ID.test(sessionId))
    throw new HttpError(
      400,
      "invalid_session_id",
      "X-Cekura-Session-Id must be 1-100 characters of letters, digits, . _ : @ + = -",
    );

  const modeText = (headers.get("x-cekura-mode")?.trim() || "observe").toLowerCase();
  if (modeText !== "observe" && modeText !== "track")
    throw new HttpError(400, "invalid_headers", 'X-Cekura-Mode must be "observe" or "track"');

  const deferText = (headers.get("x-cekura-defer-upload")?.trim() || "false").toLowerCase();
  if (!["true", "false", "audio"].includes(deferText))
    throw new HttpError(400, "invalid_headers", 'X-Cekura-Defer-Upload must be "true", "false" or "audio"');
  if (modeText === "track" && deferText !== "false")
    throw new HttpError(400, "invalid_headers", "X-Cekura-Defer-Upload applies to observe sessions only");
  const deferUpload = deferText === "true" ? true : deferText === "audio" ? "audio" : undefined;

  return { apiKey, agentId, sessionId, mode: modeText, deferUpload, model: url.searchParams.get("model") ?? undefined };
}
