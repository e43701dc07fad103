/**
 * Issue 29 item 12: an inspector sign-in token stops working after logout (a copied cookie included) and
 * after an erasure of one of the tenant's sessions, so erased calls cannot be re-read with an old token.
 */
import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { BASE, call, fragment, freshKey, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const ORIGIN = new URL(BASE).origin;

async function signIn(key: string): Promise<string> {
  const res = await call("POST", "/inspect/login", null, new URLSearchParams({ key }).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    origin: ORIGIN,
  });
  expect(res.status).toBe(303);
  return /cekura_inspect=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";
}
const page = async (path: string, token: string) => {
  const res = await call("GET", path, null, undefined, { cookie: `cekura_inspect=${token}` });
  await res.body?.cancel();
  return res.status;
};

it("logout ends the token itself: the same cookie value is refused afterwards, a new sign-in works", async () => {
  const key = freshKey();
  await call("POST", `/v1/sessions/${uniqueId("revoke")}/fragments`, key, fragment(0, [say("user", "hello", 0)]));
  const token = await signIn(key);
  expect(await page("/inspect", token)).toBe(200);
  const out = await call("POST", "/inspect/logout", null, undefined, {
    cookie: `cekura_inspect=${token}`,
    origin: ORIGIN,
  });
  expect(out.status).toBe(303);
  expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  expect(await page("/inspect", token)).toBe(401);
  const again = await signIn(key);
  expect(await page("/inspect", again)).toBe(200);
});

it("erasing a session ends the tenant's earlier sign-ins", async () => {
  const key = freshKey();
  const id = uniqueId("erase-revoke");
  await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hello", 0)]));
  await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0 });
  const token = await signIn(key);
  expect(await page(`/inspect/${id}`, token)).toBe(200);
  const erased = await call("DELETE", `/v1/sessions/${id}`, key);
  await erased.body?.cancel();
  expect(erased.status).toBeLessThan(300);
  expect(await page("/inspect", token)).toBe(401);
  expect(await page(`/inspect/${id}`, token)).toBe(401);
});
