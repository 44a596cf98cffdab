/**
 * The one script of the hosted pages, for passkeys (WebAuthn needs script: there is no form for it). Served
 * by the Worker itself at `/t/{tenant}/authorize/passkey.js`, allowed by the pages that use it and by no
 * other (headers.ts: `script-src` of exactly this path, `connect-src` of exactly the paths it fetches).
 * It uses nothing but the browser's own WebAuthn JSON helpers (`PublicKeyCredential.parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON`, `credential.toJSON()`); where they are missing it does nothing, and the
 * passkey parts of the pages stay hidden, as they are without script. Pages and script agree on this markup
 * (pages/passkey.tsx makes it):
 * - `[data-passkey-part]`: shown once the script runs (it carries `hidden`);
 * - `form[data-passkey=create|get]`: its submit asks for options (embedded in `data-options`, or fetched
 *   from `data-options-action` with the form's own fields, its CSRF token among them), calls
 *   `navigator.credentials.create()` or `.get()`, puts the credential's JSON in its `[data-passkey-response]`
 *   field and posts the form. Options refused (a step owed first, the step gone…): the form is posted as it
 *   is, and the page that answers says what comes next. The person dismissing the browser's dialog shows
 *   its `[data-passkey-failed]` message;
 * - `form[data-conditional]`: at load, where the browser offers it, a conditional request (the passkeys
 *   among the login field's suggestions: `autocomplete="username webauthn"`), given up when its button is used.
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/context";

export const PASSKEY_SCRIPT = `"use strict";
(() => {
  const PKC = window.PublicKeyCredential;
  if (!PKC || typeof PKC.parseCreationOptionsFromJSON !== "function" || typeof PKC.parseRequestOptionsFromJSON !== "function" || !navigator.credentials) return;
  const post = (form) => HTMLFormElement.prototype.submit.call(form);
  let conditional;

  async function optionsOf(form) {
    if (form.dataset.options) return JSON.parse(form.dataset.options);
    if (!form.dataset.optionsAction) return undefined;
    try {
      const answer = await fetch(form.dataset.optionsAction, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin", headers: { Accept: "application/json" } });
      return answer.ok ? await answer.json() : undefined;
    } catch {
      return undefined;
    }
  }

  function credentialOf(form, options, more) {
    if (form.dataset.passkey === "create") return navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(options) });
    return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options), ...more });
  }

  function answer(form, credential) {
    form.querySelector("[data-passkey-response]").value = JSON.stringify(credential.toJSON());
    post(form);
  }

  function failed(form, shown) {
    const message = form.querySelector("[data-passkey-failed]");
    if (message) message.hidden = !shown;
  }

  async function ask(form) {
    if (conditional) conditional.abort();
    const button = form.querySelector("button");
    button.disabled = true;
    failed(form, false);
    const options = await optionsOf(form);
    if (!options) return post(form);
    try {
      answer(form, await credentialOf(form, options, {}));
    } catch {
      failed(form, true);
      button.disabled = false;
    }
  }

  async function offer(form) {
    if (typeof PKC.isConditionalMediationAvailable !== "function" || !(await PKC.isConditionalMediationAvailable())) return;
    conditional = new AbortController();
    const { signal } = conditional;
    const options = await optionsOf(form);
    if (!options || signal.aborted) return;
    try {
      answer(form, await credentialOf(form, options, { mediation: "conditional", signal }));
    } catch {
      // Given up for the button, or nothing chosen: the page stays as it is.
    }
  }

  for (const part of document.querySelectorAll("[data-passkey-part]")) part.hidden = false;
  for (const form of document.querySelectorAll("form[data-passkey]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ask(form);
    });
    if (form.hasAttribute("data-conditional")) offer(form);
  }
})();
`;

/** A fingerprint of the script (FNV-1a, 32 bits) for its URL, which thus changes with it: not a security check. */
function fingerprintOf(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

export const PASSKEY_SCRIPT_VERSION = fingerprintOf(PASSKEY_SCRIPT);

/** Where the script is served for a tenant's pages (what the CSP names: a path source ignores the query). */
export const passkeyScriptPath = (slug: string) => `/t/${slug}/authorize/passkey.js`;

/** What a page's `<script src>` says: the path with the script's version, so that a browser may keep it for good. */
export const passkeyScriptSrc = (slug: string) => `${passkeyScriptPath(slug)}?${new URLSearchParams({ v: PASSKEY_SCRIPT_VERSION })}`;

/**
 * GET /t/{tenant}/authorize/passkey.js: the same for every tenant, so no tenant is looked up. The URL of
 * this version is kept a year (`immutable`); any other asks again each time (a page older than a deploy).
 */
export function servePasskeyScript(c: Context<AppEnv>): Response {
  const current = c.req.query("v") === PASSKEY_SCRIPT_VERSION;
  return c.body(PASSKEY_SCRIPT, 200, {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": current ? "public, max-age=31536000, immutable" : "no-cache",
  });
}
