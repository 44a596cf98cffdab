// The demo web application of `npm run dev`: a relying party of the demo tenant's OpenID Provider, as a
// platform web app would be one (openid-client, code flow with PKCE, client_secret_basic). Open its page,
// sign in on printid's hosted page, and see the ID token's claims and UserInfo; sign out through
// printid's end_session_endpoint. Local only (127.0.0.1), one small page, no state kept on disk.
import { createServer } from "node:http";
import * as client from "openid-client";

/** What a sign-in under way keeps between the redirect and the callback: PKCE verifier, state, nonce. */
const pending = new Map();
/** The last signed-in person's ID token, for the sign-out link. */
let signedIn;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo web app</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}pre{background:#f3f4f6;padding:1rem;overflow-x:auto}</style></head>
<body><h1>Demo web app</h1>${body}</body></html>`;
}

/**
 * Serves the demo relying party on 127.0.0.1:`port` for the issuer `issuer` (a tenant of a local region),
 * registered as `clientId` with `secret`. Resolves to the server once it listens.
 */
export async function startDemoRelyingParty({ issuer, clientId, secret, port }) {
  const origin = `http://127.0.0.1:${port}`;
  let config;
  const configuration = async () =>
    (config ??= await client.discovery(new URL(issuer), clientId, secret, undefined, { execute: [client.allowInsecureRequests] }));

  const server = createServer(async (request, response) => {
    const send = (status, html, headers = {}) => response.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers }).end(html);
    try {
      const url = new URL(request.url, origin);
      if (url.pathname === "/" && !url.searchParams.has("start")) {
        const claims = signedIn ? `<p>Signed in. The ID token says:</p><pre>${escape(JSON.stringify(signedIn.claims, null, 2))}</pre><p>UserInfo says:</p><pre>${escape(JSON.stringify(signedIn.userinfo, null, 2))}</pre><p><a href="/sign-out">Sign out</a></p>` : "";
        return send(200, page(`${claims}<p><a href="/?start=1">Sign in with printid</a> (the demo tenant's hosted sign-in page)</p>`));
      }
      if (url.pathname === "/") {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        pending.set(state, { verifier, nonce });
        const authorize = client.buildAuthorizationUrl(await configuration(), {
          redirect_uri: `${origin}/callback`,
          scope: "openid profile email",
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
          state,
          nonce,
        });
        return send(302, "", { location: authorize.href });
      }
      if (url.pathname === "/callback") {
        const state = url.searchParams.get("state");
        const started = state && pending.get(state);
        if (!started) return send(400, page(`<p>No sign-in under way for this answer (${escape(url.searchParams.get("error") ?? "no state")}). <a href="/">Start again</a>.</p>`));
        pending.delete(state);
        const tokens = await client.authorizationCodeGrant(await configuration(), url, {
          pkceCodeVerifier: started.verifier,
          expectedState: state,
          expectedNonce: started.nonce,
        });
        const claims = tokens.claims();
        signedIn = { idToken: tokens.id_token, claims, userinfo: await client.fetchUserInfo(await configuration(), tokens.access_token, claims.sub) };
        return send(303, "", { location: "/" });
      }
      if (url.pathname === "/sign-out" && signedIn) {
        const end = client.buildEndSessionUrl(await configuration(), { id_token_hint: signedIn.idToken, post_logout_redirect_uri: `${origin}/` });
        signedIn = undefined;
        return send(302, "", { location: end.href });
      }
      return send(404, page('<p>Not found. <a href="/">Home</a></p>'));
    } catch (error) {
      return send(502, page(`<p>The sign-in failed: ${escape(error.message)}. <a href="/">Start again</a>.</p>`));
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}
