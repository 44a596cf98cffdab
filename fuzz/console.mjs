// The admin console's forms are not API (not in /openapi.json) but take bodies from browsers: `npm run fuzz`
// also posts mutated forms to them, with a live console session and its CSRF token, and checks only that no
// answer is a 5xx or shows internals (issue 10, point 8: "console forms with a malformed body → a 400 page").
import { randomBytes } from "node:crypto";
import { randomIp } from "./harness.mjs";

const csrfOf = (html) => html.match(/name="csrf"\s+value="([^"]*)"/)?.[1] ?? html.match(/value="([^"]*)"\s+name="csrf"/)?.[1];
const cookiesOf = (headers) => (headers.getSetCookie?.() ?? []).map((line) => line.split(";")[0]).filter((pair) => !/=$/.test(pair));

/** A signed-in console: its cookies and the session's CSRF token. */
export async function consoleSession(h, f) {
  const base = `${h.origin}/t/${f.slug}/console`;
  const page = await fetch(`${base}/sign-in`, { headers: { "cf-connecting-ip": randomIp() } });
  const signInCookies = cookiesOf(page.headers);
  const signInCsrf = csrfOf(await page.text());
  const form = new URLSearchParams({ login: "admin", password: f.password, ...(signInCsrf ? { csrf: signInCsrf } : {}) });
  const signedIn = await fetch(`${base}/sign-in`, {
    method: "POST", redirect: "manual", body: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: h.origin, cookie: signInCookies.join("; "), "cf-connecting-ip": randomIp() },
  });
  const cookies = [...signInCookies, ...cookiesOf(signedIn.headers)];
  if (signedIn.status !== 303 && signedIn.status !== 302) throw new Error(`console sign-in: ${signedIn.status} ${(await signedIn.text()).slice(0, 300)}`);
  const users = await fetch(`${base}/users`, { headers: { cookie: cookies.join("; "), "cf-connecting-ip": randomIp() } });
  const csrf = csrfOf(await users.text());
  return { base, cookies: cookies.join("; "), csrf, signInCookies: signInCookies.join("; "), signInCsrf };
}

/** The console's form posts: [label, path, valid fields]. */
export function consoleTargets(f, session) {
  const at = (suffix) => `${new URL(session.base).pathname}${suffix}`;
  return [
    ["POST console/sign-in", at("/sign-in"), { login: "admin", password: "wrong-password", csrf: session.signInCsrf }, session.signInCookies],
    ["POST console/settings", at("/settings"), { csrf: session.csrf, allowRegistration: "on", newUsersActiveByDefault: "on", maxAttempts: "100", lockoutSeconds: "60", work: "google", personal: "apple" }, session.cookies],
    ["POST console/users/{id}/activate", at(`/users/${f.victimId}/activate`), { csrf: session.csrf }, session.cookies],
    ["POST console/users/{id}/deactivate", at(`/users/${f.victimId}/deactivate`), { csrf: session.csrf }, session.cookies],
  ];
}

/** One mutated form post: { method, path, headers, body, notes } in the shape run.mjs sends. */
export function consoleRequest(rng, target, h) {
  const [, path, valid, cookies] = target;
  const fields = { ...valid };
  const notes = [];
  const kind = rng.weighted({ valid: 1, field: 4, raw: 3, ctype: 3, cookie: 1 });
  let body;
  let ctype = "application/x-www-form-urlencoded";
  let cookie = cookies;
  const junk = ["", " ", "a".repeat(5000), "%zz", "\u0000", "👍", "-1", "0", "1e9", "on", "off", "true", "[]", "{}", "<script>", "x".repeat(70_000)];
  if (kind === "field") {
    const names = [...Object.keys(fields), "extra", "__proto__"];
    const name = rng.pick(names);
    if (rng.chance(0.3)) { delete fields[name]; notes.push(`field ${name} removed`); } else { fields[name] = rng.pick(junk); notes.push(`field ${name}=${JSON.stringify(fields[name]).slice(0, 40)}`); }
  }
  if (kind === "raw") {
    const form = new URLSearchParams(fields).toString();
    body = Buffer.from(rng.pick([`${form}&x=%zz%`, `${form}&${form}`, "&&&", "", `${form}&csrf=other`, `{"csrf":"${fields.csrf}"}`, form.replace(/=/g, "[]="), `${form}&pad=${"p".repeat(70_000)}`]));
    notes.push("malformed form body");
  }
  if (kind === "ctype") {
    ctype = rng.pick([null, "text/plain", "application/json", "multipart/form-data", "multipart/form-data; boundary=FUZZ", "application/x-www-form-urlencoded; charset=utf-16", "garbage"]);
    if (ctype === "application/json") body = Buffer.from(JSON.stringify(fields));
    if (ctype === "multipart/form-data; boundary=FUZZ") body = Buffer.from(Object.entries(fields).map(([k, v]) => `--FUZZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") + "--FUZZ--\r\n");
    if (ctype === "multipart/form-data") body = Buffer.from(`--X\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${fields.csrf}`); // no boundary, truncated
    notes.push(`Content-Type: ${ctype ?? "(none)"}`);
  }
  if (kind === "cookie") {
    cookie = rng.pick(["", "printid_console=x", `${cookies}; printid_console=${randomBytes(16).toString("hex")}`, "printid_console=%zz", `printid_console=${"c".repeat(5000)}`]);
    notes.push("cookie mutated");
  }
  if (kind === "valid") notes.push("valid");
  body ??= Buffer.from(new URLSearchParams(fields).toString());
  const headers = { origin: h.origin, "cf-connecting-ip": randomIp(), "user-agent": "printid-fuzz" };
  if (cookie) headers.cookie = cookie;
  if (ctype) headers["content-type"] = ctype;
  return { method: "POST", path, headers, body, notes, matchesOp: false, secrets: [] };
}
