// Latency of the hot requests through HTTP against a running printid Worker: one request at a time (what one
// person waits, not throughput), a few warm-up requests first, then up to `count` samples within `seconds`.
import { randomInt } from "node:crypto";

const freshIp = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`; // rule H limits per address: each its own

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Times `request()` (which throws on a wrong answer) `count` times at most, within `seconds`. */
async function sample(name, request, { count, seconds, warmup = 5 }) {
  for (let i = 0; i < warmup; i++) await request();
  const times = [];
  const deadline = performance.now() + seconds * 1000;
  while (times.length < count && performance.now() < deadline) {
    const t = performance.now();
    await request();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { name, n: times.length, p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1) };
}

async function expect(response, status, what) {
  const body = await response.text();
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status}, expected ${status}: ${body.slice(0, 300)}`);
  return body;
}

/**
 * The four requests of docs/capacity.md against tenant `slug`: password sign-in (`logins` in turn, all with
 * `password`), GET /me, a refresh-token exchange (each with the previous answer's token), and the admin's
 * user search for `commonQuery` (matches many: a page is found early) and `missQuery` (matches none: the
 * whole tenant is read).
 */
export async function measureAll(origin, { slug, logins, password, admin, commonQuery, missQuery, count, seconds }) {
  const t = `${origin}/t/${slug}`;
  const signIn = async (login) => {
    const r = await fetch(`${t}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ login, password, clientId: "printid-mobile" }),
    });
    return JSON.parse(await expect(r, 200, `sign-in as ${login}`));
  };
  const adminTokens = await signIn(admin);
  let next = 0;
  let refreshToken = (await signIn(logins[0])).refresh_token;
  const results = [];
  results.push(await sample("sign-in (password)", () => signIn(logins[next++ % logins.length]), { count, seconds }));
  const bearer = { authorization: `Bearer ${adminTokens.access_token}` };
  results.push(await sample("GET /me", async () => expect(await fetch(`${t}/me`, { headers: bearer }), 200, "GET /me"), { count, seconds }));
  results.push(
    await sample("refresh (POST /token)", async () => {
      const r = await fetch(`${t}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": freshIp() },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: "printid-mobile", refresh_token: refreshToken }),
      });
      refreshToken = JSON.parse(await expect(r, 200, "refresh")).refresh_token;
    }, { count, seconds }),
  );
  let found = { common: 0, miss: 0 };
  for (const [key, q, label] of [["common", commonQuery, `admin search ?q=${commonQuery} (many match)`], ["miss", missQuery, `admin search ?q=${missQuery} (none match)`]]) {
    results.push(
      await sample(label, async () => {
        const body = await expect(await fetch(`${t}/admin/users?q=${encodeURIComponent(q)}`, { headers: bearer }), 200, "admin search");
        found[key] = JSON.parse(body).items.length;
      }, { count, seconds }),
    );
  }
  return { results, found };
}
