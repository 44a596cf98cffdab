// The hosted sign-in's pages (issue 13, point 2) rendered as a browser receives them: the language from
// ui_locales then Accept-Language, every refusal in words in English and French, no script, labels and
// error links for assistive technology, and what each page offers (account tabs, providers, "Create an
// account") only when the caller offers it. Holes closed: a page in the wrong language, a French string
// missing, an input no screen reader can name, an error not tied to its field, markup injected by a
// tenant's or client's name, and colours too faint to read.
import { describe, expect, it } from "vitest";
import { en } from "../../src/hosted/i18n/en";
import { fr } from "../../src/hosted/i18n/fr";
import { LOCALES, localeFor, messages, type Locale } from "../../src/hosted/i18n";
import {
  ContinueAsPage,
  ErrorPage,
  errorPageStatus,
  LogoutConfirmPage,
  PendingActivationPage,
  RegisterPage,
  SignedOutPage,
  SignInPage,
  type SignInPageProps,
} from "../../src/hosted/pages";
import { palette, stylesheet } from "../../src/hosted/pages/style";
import { contrast, elements, escaped, render } from "./support";

const hidden = { csrf: "csrf-token", request: "client_id=app&state=xyz" };

function signInProps(locale: Locale, overrides: Partial<SignInPageProps> = {}): SignInPageProps {
  return {
    locale,
    tenantName: "Acme Print",
    account: "work",
    accountLinks: { work: "/t/acme/authorize?account=work", personal: "/t/acme/authorize?account=personal" },
    formAction: "/t/acme/authorize/password",
    hidden,
    providers: [
      { name: "apple", href: "/t/acme/authorize/apple" },
      { name: "google", href: "/t/acme/authorize/google" },
      { name: "microsoft", href: "/t/acme/authorize/microsoft" },
    ],
    registerHref: "/t/acme/authorize/register",
    clientName: "Print App",
    ...overrides,
  };
}

const fieldErrors = [
  { path: "email", message: "Not an e-mail address" },
  { path: "password", message: "At least 8 characters" },
];

/** Every page, with every optional part shown (errors included, so their markup is checked too). */
function everyPage(locale: Locale) {
  return {
    signIn: SignInPage(signInProps(locale, { login: "jane", error: { code: "validation_failed", fieldErrors: [{ path: "login", message: "Required" }] } })),
    register: RegisterPage({
      locale,
      tenantName: "Acme Print",
      formAction: "/t/acme/authorize/register",
      hidden,
      values: { email: "jane@example.com", firstName: "Jane" },
      error: { code: "validation_failed", fieldErrors },
      signInHref: "/t/acme/authorize",
      clientName: "Print App",
    }),
    pendingActivation: PendingActivationPage({ locale, tenantName: "Acme Print", email: "jane@example.com", signInHref: "/t/acme/authorize", waitingFor: "activation" }),
    continueAs: ContinueAsPage({
      locale,
      tenantName: "Acme Print",
      person: { displayName: "Jane Doe", login: "jane@example.com" },
      continueForm: { action: "/t/acme/authorize/continue", hidden },
      otherAccountForm: { action: "/t/acme/authorize", hidden: { prompt: "login" } },
      clientName: "Print App",
    }),
    error: ErrorPage({ locale, code: "invalid_redirect_uri", detail: "redirect_uri is not registered", backHref: "/back" }),
    signedOut: SignedOutPage({ locale, tenantName: "Acme Print", returnHref: "https://app.example/" }),
    logoutConfirm: LogoutConfirmPage({ locale, tenantName: "Acme Print", formAction: "/t/acme/logout", hidden, clientName: "Print App" }),
  };
}

async function everyRenderedPage(): Promise<{ locale: Locale; name: string; html: string }[]> {
  const pages = [];
  for (const locale of LOCALES) {
    for (const [name, page] of Object.entries(everyPage(locale))) pages.push({ locale, name, html: await render(page) });
  }
  return pages;
}

/** The keys of a catalogue, nested ones as dotted paths. */
function keysOf(catalogue: object, prefix = ""): string[] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    typeof value === "object" && value !== null ? keysOf(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

describe("language", () => {
  it.each([
    ["fr-CA en", undefined, "fr"],
    ["en fr", "fr", "en"],
    ["de fr", undefined, "fr"],
    ["de", "fr;q=0.9,en;q=0.8", "fr"],
    [undefined, "en;q=0.5, fr-FR", "fr"],
    [undefined, "de-DE,de;q=0.9,en-GB;q=0.8,fr;q=0.7", "en"],
    [undefined, "fr;q=0, en;q=0.1", "en"],
    [undefined, "FR-be", "fr"],
    [undefined, undefined, "en"],
    ["", "", "en"],
    ["de", "de, es", "en"],
  ] as const)("OIDC Core §3.1.2.1 ui_locales %j, then RFC 9110 Accept-Language %j: %s", (uiLocales, acceptLanguage, expected) => {
    expect(localeFor(uiLocales, acceptLanguage)).toBe(expected);
  });

  it.each([
    ["not tags", "fr!!", ";;;,,q=0.9"],
    ["a word that is no tag, a weight that is no number", "français", "fr;q=abc"],
    ["a tag with no primary language, a weight above 1", "-fr", "fr;q=2"],
    ["a subtag longer than 8, a wildcard", "f".repeat(50), "*"],
    ["a huge header: only its first 32 tags are read", undefined, `${"de,".repeat(32)}fr`],
  ])("ui_locales and Accept-Language malformed (%s): English, never an error", (_, uiLocales, acceptLanguage) => {
    expect(localeFor(uiLocales, acceptLanguage)).toBe("en");
  });

  it("A11y (WCAG 3.1.1): every page's <html lang> is its locale", async () => {
    for (const { locale, name, html } of await everyRenderedPage()) {
      expect((await elements(html, "html"))[0]?.lang, name).toBe(locale);
    }
  });

  it("i18n: the French and English catalogues have the same keys, none empty", () => {
    expect(keysOf(fr)).toEqual(keysOf(en));
    for (const catalogue of [en, fr]) {
      for (const value of Object.values(catalogue.refusals)) expect(value.trim()).not.toBe("");
    }
  });

  it("i18n: the words of each page come from its locale's catalogue (WORK ACCOUNT / COMPTE PROFESSIONNEL)", async () => {
    const english = await render(SignInPage(signInProps("en")));
    const french = await render(SignInPage(signInProps("fr")));
    expect(english).toContain(">WORK ACCOUNT</a>");
    expect(english).toContain(">PERSONAL ACCOUNT</a>");
    expect(french).toContain(">COMPTE PROFESSIONNEL</a>");
    expect(french).toContain(">COMPTE PERSONNEL</a>");
    expect(french).toContain(escaped("Continuer avec Apple"));
    expect(french).toContain(escaped("pour continuer vers Print App"));
    expect(french).not.toContain("Sign in");
  });
});

describe("refusals in words", () => {
  const codes = [
    "invalid_credentials",
    "account_locked",
    "account_inactive",
    "account_pending_activation",
    "registration_disabled",
    "account_exists",
    "username_taken",
    "external_auth_unavailable_for_existing_account",
    "email_unverified",
    "password_change_required",
    "provider_error",
    "tenant_disabled",
    "rate_limited",
    "unavailable",
    "validation_failed",
    "session_expired",
    "unusable_link",
    "csrf",
    "wrong_code",
    "step_ended",
    "passkey_refused",
  ];

  it("i18n: the catalogue puts every refusal of the sign-in and registration in words", () => {
    expect(Object.keys(en.refusals).sort()).toEqual([...codes].sort());
  });

  it("i18n: each refusal code is said in both languages, in an error summary with role=alert", async () => {
    for (const locale of LOCALES) {
      for (const [code, sentence] of Object.entries(messages(locale).refusals)) {
        const html = await render(SignInPage(signInProps(locale, { error: { code } })));
        expect(html, `${locale} ${code}`).toContain(escaped(sentence));
        expect(await elements(html, "[role=alert]"), `${locale} ${code}`).toHaveLength(1);
        expect(html).toContain(`<title>${escaped(messages(locale).errorTitle(`${messages(locale).signIn.title} · Acme Print`))}</title>`);
      }
    }
  });

  it("account_locked says how many minutes to wait when Retry-After is known, else to try later", async () => {
    const locked = (locale: Locale, retryAfterSeconds?: number) =>
      render(SignInPage(signInProps(locale, { error: { code: "account_locked", retryAfterSeconds } })));
    expect(await locked("en", 900)).toContain("Try again in 15\u00a0minutes.");
    expect(await locked("fr", 900)).toContain("Réessayez dans 15\u00a0minutes.");
    expect(await locked("en", 61)).toContain("Try again in 2\u00a0minutes.");
    expect(await locked("en", 60)).toContain("Try again in 1\u00a0minute.");
    expect(await locked("en", 5)).toContain("Try again in less than a minute.");
    expect(await locked("en")).toContain("Try again later.");
    const invalid = await render(SignInPage(signInProps("en", { error: { code: "invalid_credentials" } })));
    expect(invalid).not.toContain("Try again");
  });

  it("a code the catalogue does not know: a general sentence and the server's detail, marked as English", async () => {
    const html = await render(SignInPage(signInProps("fr", { error: { code: "internal_error", detail: "Database gone" } })));
    expect(html).toContain(escaped(fr.unexpected));
    expect(html).toContain('<p lang="en">Database gone</p>');
    const known = await render(SignInPage(signInProps("fr", { error: { code: "invalid_credentials", detail: "Wrong password" } })));
    expect(known).not.toContain("Wrong password");
  });
});

describe("accessibility and markup", () => {
  it("A11y (WCAG 1.3.1, 4.1.2): every input but the hidden ones has a <label for> naming its id", async () => {
    for (const { locale, name, html } of await everyRenderedPage()) {
      const inputs = (await elements(html, "input")).filter((input) => input.type !== "hidden");
      const labelled = new Set((await elements(html, "label")).map((label) => label.for));
      for (const input of inputs) {
        expect(input.id, `${locale} ${name} ${input.name}`).toBeTruthy();
        expect(labelled.has(input.id), `${locale} ${name} ${input.name}`).toBe(true);
      }
      expect(new Set(inputs.map((input) => input.id)).size).toBe(inputs.length);
    }
  });

  it("CSP: no <script>, no external resource, one inline stylesheet; every form posts and carries the hidden fields", async () => {
    for (const { locale, name, html } of await everyRenderedPage()) {
      const where = `${locale} ${name}`;
      expect(html, where).not.toMatch(/<script|<link|<img|<iframe|\son[a-z]+=/i);
      expect(await elements(html, "style"), where).toHaveLength(1);
      expect(html.startsWith("<!doctype html>"), where).toBe(true);
      for (const form of await elements(html, "form")) expect(form.method, where).toBe("post");
    }
    const html = await render(SignInPage(signInProps("en")));
    const fields = await elements(html, "input[type=hidden]");
    expect(fields).toEqual([
      { type: "hidden", name: "csrf", value: "csrf-token" },
      { type: "hidden", name: "request", value: escaped("client_id=app&state=xyz") },
    ]);
  });

  it("A11y: field errors are tied to their field (aria-describedby, aria-invalid) and linked from the summary", async () => {
    const html = await render(everyPage("fr").register);
    const ids = new Set((await elements(html, "[id]")).map((element) => element.id));
    for (const { path, message } of fieldErrors) {
      const [input] = await elements(html, `input[name=${path}]`);
      expect(input?.["aria-invalid"]).toBe("true");
      const described = input?.["aria-describedby"]?.split(" ") ?? [];
      expect(described).toContain(`${path}-error`);
      for (const id of described) expect(ids.has(id)).toBe(true);
      expect(html).toContain(`<p class="field-error" id="${path}-error" lang="en">${message}</p>`);
      expect(await elements(html, `#error-summary a[href="#${path}"]`)).toHaveLength(1);
    }
    const [firstName] = await elements(html, "input[name=firstName]");
    expect(firstName?.["aria-invalid"]).toBeUndefined();
    expect(firstName?.value).toBe("Jane");
    const [summary] = await elements(html, "#error-summary");
    expect(summary).toMatchObject({ role: "alert", tabindex: "-1", autofocus: "" });
  });

  it("A11y: autocomplete says what each field holds, so browsers and password managers fill it", async () => {
    const autocomplete = async (html: string) =>
      Object.fromEntries((await elements(html, "input:not([type=hidden])")).map((input) => [input.name, input.autocomplete]));
    expect(await autocomplete(await render(SignInPage(signInProps("en"))))).toEqual({ login: "username", password: "current-password" });
    expect(await autocomplete(await render(everyPage("en").register))).toEqual({
      email: "email",
      password: "new-password",
      firstName: "given-name",
      lastName: "family-name",
      username: "username",
    });
  });

  it("the register page states the password rule, tied to the field", async () => {
    for (const locale of LOCALES) {
      const html = await render(everyPage(locale).register);
      expect(html).toContain(`<p class="hint" id="password-hint">${escaped(messages(locale).register.passwordRule)}</p>`);
      expect(messages(locale).register.passwordRule).toMatch(/^8 .+ 256 /);
      const [password] = await elements(html, "input[name=password]");
      expect(password?.["aria-describedby"]).toBe("password-hint password-error");
      expect(password?.value).toBeUndefined();
    }
  });

  it("A11y (WCAG 1.4.3, 1.4.11): text colours have 4.5:1 on their backgrounds, field borders and focus 3:1", () => {
    const text: [string, string][] = [
      [palette.text, palette.surface],
      [palette.text, palette.page],
      [palette.text, palette.errorSurface],
      [palette.muted, palette.surface],
      [palette.accent, palette.surface],
      [palette.onAccent, palette.accent],
      [palette.error, palette.surface],
      [palette.error, palette.errorSurface],
    ];
    for (const [foreground, background] of text) expect(contrast(foreground, background), `${foreground} on ${background}`).toBeGreaterThanOrEqual(4.5);
    for (const border of [palette.field, palette.accent, palette.error]) expect(contrast(border, palette.surface)).toBeGreaterThanOrEqual(3);
    expect(stylesheet).toContain(":focus-visible{outline:3px solid");
  });

  it("S: a tenant's, client's or person's name with markup is text, never markup", async () => {
    const html = await render(
      SignInPage(signInProps("en", { tenantName: "<b>Evil</b>", clientName: '"><script>x</script>', login: "<i>" })),
    );
    expect(html).not.toContain("<b>Evil");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;b&gt;Evil&lt;/b&gt;");
  });
});

describe("what each page offers", () => {
  it("the current account kind's tab is aria-current=page; PERSONAL ACCOUNT is absent where not offered", async () => {
    const both = await render(SignInPage(signInProps("en", { account: "personal" })));
    expect(await elements(both, "nav.tabs a")).toEqual([
      { href: "/t/acme/authorize?account=work" },
      { href: "/t/acme/authorize?account=personal", "aria-current": "page" },
    ]);
    const workOnly = await render(SignInPage(signInProps("en", { accountLinks: { work: "/t/acme/authorize?account=work" } })));
    expect(workOnly).not.toContain("PERSONAL ACCOUNT");
    expect(await elements(workOnly, "nav.tabs a")).toEqual([{ href: "/t/acme/authorize?account=work", "aria-current": "page" }]);
  });

  it("one button-styled link per provider offered, brand names untranslated; none and no divider without providers", async () => {
    const html = await render(SignInPage(signInProps("fr", { providers: [{ name: "microsoft", href: "/ms" }] })));
    expect(await elements(html, "a.button")).toEqual([{ class: "button secondary", href: "/ms" }]);
    expect(html).toContain(">Continuer avec Microsoft</a>");
    const none = await render(SignInPage(signInProps("en", { providers: [] })));
    expect(await elements(none, "a.button")).toEqual([]);
    expect(none).not.toContain('class="or"');
  });

  it("R: \"Create an account\" only where the caller gives its link (registration allowed)", async () => {
    const open = await render(SignInPage(signInProps("en")));
    expect(await elements(open, 'a[href="/t/acme/authorize/register"]')).toHaveLength(1);
    expect(open).toContain(">Create an account</a>");
    const closed = await render(SignInPage(signInProps("en", { registerHref: undefined })));
    expect(closed).not.toContain("Create an account");
  });

  it("login_hint prefills the login; the password is never prefilled", async () => {
    const html = await render(SignInPage(signInProps("en", { login: "jane@example.com" })));
    expect((await elements(html, "input[name=login]"))[0]?.value).toBe("jane@example.com");
    expect((await elements(html, "input[name=password]"))[0]?.value).toBeUndefined();
  });

  it("R: the pending-activation page says plainly that an administrator must activate the account", async () => {
    const html = await render(everyPage("en").pendingActivation);
    expect(html).toContain(
      escaped("Your account was created and awaits an administrator's activation. You will be able to sign in once it is active."),
    );
    expect(html).toContain("jane@example.com");
    expect(await render(everyPage("fr").pendingActivation)).toContain(escaped(fr.pendingActivation.text));
  });

  it("OIDC Core §3.1.2.1 prompt=select_account: continue as the session's person, or use another account, by two forms", async () => {
    const html = await render(everyPage("en").continueAs);
    expect(await elements(html, "form")).toEqual([
      { method: "post", action: "/t/acme/authorize/continue" },
      { method: "post", action: "/t/acme/authorize" },
    ]);
    expect(html).toContain("Continue as Jane Doe<small>jane@example.com</small>");
    expect(html).toContain(">Use another account</button>");
    expect(await elements(html, "input[name=prompt]")).toEqual([{ type: "hidden", name: "prompt", value: "login" }]);
  });

  it("RFC 6749 §4.1.2.1: an untrusted client gets a page, not a redirect: the link is broken, go back to the application", async () => {
    for (const code of ["invalid_client", "invalid_redirect_uri", "invalid_request"] as const) {
      for (const locale of LOCALES) {
        const html = await render(ErrorPage({ locale, code }));
        expect(html).toContain(escaped(messages(locale).errorPages[code].text));
        expect(html).not.toContain("http-equiv");
      }
      expect(errorPageStatus[code]).toBe(400);
    }
    const html = await render(everyPage("fr").error);
    expect(html).toContain('<span lang="en">redirect_uri is not registered</span>');
    expect(html).toContain('<a href="/back">Retour</a>');
    expect(html).toContain(`<title>${escaped(fr.errorTitle(fr.errorPages.invalid_redirect_uri.title))}</title>`);
  });

  it("every error page code has a title and an explanation in both languages, and a status", async () => {
    for (const locale of LOCALES) {
      for (const code of Object.keys(errorPageStatus) as (keyof typeof errorPageStatus)[]) {
        const page = messages(locale).errorPages[code];
        const html = await render(ErrorPage({ locale, code }));
        expect(html).toContain(`<h1>${escaped(page.title)}</h1>`);
        expect(html).toContain(escaped(page.text));
      }
    }
    expect(Object.keys(errorPageStatus).sort()).toEqual(Object.keys(en.errorPages).sort());
    const titled = await render(ErrorPage({ locale: "en", code: "server_error", title: "Custom" }));
    expect(titled).toContain("<h1>Custom</h1>");
  });

  it("OIDC RP-Initiated Logout §2: without a valid id_token_hint the person is asked, by a form, before being signed out", async () => {
    const html = await render(everyPage("fr").logoutConfirm);
    expect(html).toContain(`<h1>${escaped("Se déconnecter de Acme Print\u00a0?")}</h1>`);
    expect(await elements(html, "form")).toEqual([{ method: "post", action: "/t/acme/logout" }]);
    expect(html).toContain('<button type="submit">Se déconnecter</button>');
    const signedOut = await render(everyPage("en").signedOut);
    expect(signedOut).toContain("Your Acme Print session has ended on this device.");
    expect(signedOut).toContain('<a href="https://app.example/">Return to the application</a>');
  });
});
