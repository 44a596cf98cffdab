// ID cards (issue 15, rule D): several per person, optional expiry, unique within the tenant, stored as
// a keyed hash of the number as the tenant's rules normalise it; the unknown-card policies (refuse, bind
// after the person's PIN, register a new account by rule R) and a card that needs its holder's PIN.
// Holes closed: one card read two ways by two readers, a card number in the database, an expired
// temporary card, a card that says whether it is known while it needs a PIN.
import { describe, expect, it } from "vitest";
import { normaliseCardNumber } from "../../src/panel/card-numbers";
import { problemOf } from "../support/problems";
import { json } from "../support/tenants";
import { seedUser } from "../support/users";
import { addCard, cardOf, meWith, panelFixture, panelSignIn, person, personWithPin, type PanelTokens } from "./support";

const policy = (panel: Record<string, unknown>) => ({
  panel: { pin: { enabled: true, minLength: 6 }, methods: ["pin", "card"], cardNeedsPin: false, unknownCard: "refuse", cardRules: ["trim", "uppercase"], sessionSeconds: 300, ...panel },
});

async function usernameOf(f: Parameters<typeof meWith>[0], response: Response) {
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await (await meWith(f, (await response.json()) as PanelTokens)).json()) as { username: string }).username;
}

describe("card numbers as the tenant's rules make them", () => {
  it("D trim, uppercase, hex to decimal, byte reversal, leading zeros and padding, in the tenant's order", () => {
    expect(normaliseCardNumber("  04a1b2c3 ", ["trim", "uppercase"])).toBe("04A1B2C3");
    expect(normaliseCardNumber("04A1B2C3", ["hexToDecimal"])).toBe(String(0x04a1b2c3));
    expect(normaliseCardNumber("C3B2A104", ["reverseBytes"])).toBe("04A1B2C3");
    expect(normaliseCardNumber("ABC", ["reverseBytes"])).toBe("BC0A");
    expect(normaliseCardNumber("000123", ["stripLeadingZeros"])).toBe("123");
    expect(normaliseCardNumber("0000", ["stripLeadingZeros"])).toBe("0");
    expect(normaliseCardNumber("123", [{ padStart: 10 }])).toBe("0000000123");
    // A 10-byte UID, past what a JavaScript number holds exactly.
    expect(normaliseCardNumber("FFFFFFFFFFFFFFFFFFFF", ["hexToDecimal"])).toBe((2n ** 80n - 1n).toString());
  });

  it("D what a reader reports ends trimmed, in upper case; a number the rules cannot read is no card (a hex rule on a non-hex number, a space inside, too long)", () => {
    expect(normaliseCardNumber(" 04a1b2c3\r\n", [])).toBe("04A1B2C3");
    expect(normaliseCardNumber("12G4", ["hexToDecimal"])).toBeUndefined();
    expect(normaliseCardNumber("12 34", [])).toBeUndefined();
    expect(normaliseCardNumber("9".repeat(65), [])).toBeUndefined();
  });
});

describe("an admin registers cards", () => {
  it("D several cards per person; the listing shows labels and expiry, never a number; only keyed hashes are stored", async () => {
    const f = await panelFixture(policy({}));
    const { user } = await person(f);
    await cardOf(f, user.id, "04A1B2C3", { label: "badge" });
    await cardOf(f, user.id, "99887766", { label: "visitor card", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const list = await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}/cards`, { headers: f.auth });
    const { items } = (await list.json()) as { items: { label: string; expiresAt: string | null }[] };
    expect(items.map((card) => card.label)).toEqual(["visitor card", "badge"]);
    expect(items[0]!.expiresAt).not.toBeNull();
    const rows = JSON.stringify(await f.region.db.prepare("SELECT * FROM id_cards WHERE user_id = ?").bind(user.id).all());
    expect(rows).not.toContain("04A1B2C3");
    expect(rows).not.toContain("99887766");
  });

  it("D the same card, read as the tenant's rules make it, cannot be held twice in a tenant (409 card_taken)", async () => {
    const f = await panelFixture(policy({}));
    const first = await person(f);
    const second = await person(f);
    await cardOf(f, first.user.id, "04a1b2c3");
    await problemOf(await addCard(f, second.user.id, { number: " 04A1B2C3 " }), 409, "card_taken");
  });

  it("T the same card number may be held in two tenants: each is its tenant's own", async () => {
    const a = await panelFixture(policy({}));
    const b = await panelFixture(policy({}));
    const inA = await person(a);
    const inB = await person(b);
    await cardOf(a, inA.user.id, "55554444");
    await cardOf(b, inB.user.id, "55554444");
    expect(await usernameOf(a, await panelSignIn(a, { card: "55554444" }))).toBe(inA.user.username);
    expect(await usernameOf(b, await panelSignIn(b, { card: "55554444" }))).toBe(inB.user.username);
  });

  it("validation: an unreadable number, an expiry in the past, a user of another tenant", async () => {
    const f = await panelFixture(policy({ cardRules: ["hexToDecimal"] }));
    const { user } = await person(f);
    const bad = await problemOf(await addCard(f, user.id, { number: "not hex" }), 400, "validation_failed");
    expect(bad.errors?.[0]?.path).toBe("number");
    await problemOf(await addCard(f, user.id, { number: "AB", expiresAt: "2020-01-01T00:00:00Z" }), 400, "validation_failed");
    const other = await panelFixture(policy({}));
    const stranger = await seedUser(other.region, other.tenantId);
    await problemOf(await addCard(f, stranger.id, { number: "AB" }), 404, "not_found");
  });
});

describe("a card at the panel", () => {
  it("D the tenant's rules bring what its readers report to the number printed on the card (trim, reverse bytes, hex to decimal, pad)", async () => {
    const f = await panelFixture(policy({ cardRules: ["trim", "reverseBytes", "hexToDecimal", { padStart: 10 }] }));
    const { user } = await person(f);
    // Printed on the card: its UID 04:A1:B2:C3 in decimal, ten digits. The readers report the bytes least significant first, in hex.
    await cardOf(f, user.id, String(0x04a1b2c3).padStart(10, "0"));
    expect(await usernameOf(f, await panelSignIn(f, { card: "c3b2a104\r\n" }))).toBe(user.username);
    expect(await usernameOf(f, await panelSignIn(f, { card: " C3B2A104 " }))).toBe(user.username);
    await problemOf(await panelSignIn(f, { card: "04A1B2C3" }), 401, "invalid_credentials");
  });

  it("D a temporary card works until its expiry, then is refused like an unknown card", async () => {
    const f = await panelFixture(policy({}));
    const { user } = await person(f);
    const cardId = await cardOf(f, user.id, "TEMP0001", { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await panelSignIn(f, { card: "TEMP0001" })).status).toBe(200);
    await f.region.db.prepare("UPDATE id_cards SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, cardId).run();
    const expired = await problemOf(await panelSignIn(f, { card: "TEMP0001" }), 401, "invalid_credentials");
    const unknown = await problemOf(await panelSignIn(f, { card: "NEVERSEEN" }), 401, "invalid_credentials");
    expect(expired).toEqual(unknown);
  });

  it("D a card the person removed (lost) signs nobody in; a person sees and removes only their own cards", async () => {
    const f = await panelFixture(policy({}));
    const { user, auth } = await person(f);
    const other = await person(f);
    const cardId = await cardOf(f, user.id, "LOST0001");
    const othersCard = await cardOf(f, other.user.id, "KEPT0001");
    const mine = (await (await f.region.fetch(`/t/${f.tenant}/me/cards`, { headers: auth })).json()) as { items: { id: string }[] };
    expect(mine.items.map((card) => card.id)).toEqual([cardId]);
    expect((await f.region.fetch(`/t/${f.tenant}/me/cards/${othersCard}`, { method: "DELETE", headers: auth })).status).toBe(404);
    expect((await f.region.fetch(`/t/${f.tenant}/me/cards/${cardId}`, { method: "DELETE", headers: auth })).status).toBe(204);
    await problemOf(await panelSignIn(f, { card: "LOST0001" }), 401, "invalid_credentials");
    expect((await panelSignIn(f, { card: "KEPT0001" })).status).toBe(200);
  });
});

describe("card + PIN", () => {
  it("D a card that needs a PIN asks for it, known or not alike (401 pin_required); then the holder's PIN signs in", async () => {
    const f = await panelFixture(policy({ cardNeedsPin: true }));
    const { user, pin } = await personWithPin(f);
    await cardOf(f, user.id, "CARDPIN1");
    const known = await problemOf(await panelSignIn(f, { card: "CARDPIN1" }), 401, "pin_required");
    const unknown = await problemOf(await panelSignIn(f, { card: "NOBODY01" }), 401, "pin_required");
    expect(known).toEqual(unknown);
    expect(await usernameOf(f, await panelSignIn(f, { card: "CARDPIN1", pin }))).toBe(user.username);
  });

  it("D a wrong PIN after a known card and any PIN after an unknown card are answered alike", async () => {
    const f = await panelFixture(policy({ cardNeedsPin: true }));
    const { user } = await personWithPin(f);
    const other = await personWithPin(f);
    await cardOf(f, user.id, "CARDPIN2");
    const wrong = await problemOf(await panelSignIn(f, { card: "CARDPIN2", pin: other.pin }), 401, "invalid_credentials");
    const unknown = await problemOf(await panelSignIn(f, { card: "NOBODY02", pin: other.pin }), 401, "invalid_credentials");
    expect(wrong).toEqual(unknown);
  });

  it("D a card whose holder has no PIN yet cannot pass a PIN step", async () => {
    const f = await panelFixture(policy({ cardNeedsPin: true }));
    const { user } = await person(f);
    const other = await personWithPin(f);
    await cardOf(f, user.id, "NOPIN001");
    await problemOf(await panelSignIn(f, { card: "NOPIN001", pin: other.pin }), 401, "invalid_credentials");
  });
});

describe("the unknown-card policies", () => {
  it("D refuse: an unknown card is refused like a wrong one, and nothing is stored", async () => {
    const f = await panelFixture(policy({ unknownCard: "refuse" }));
    await problemOf(await panelSignIn(f, { card: "STRANGER" }), 401, "invalid_credentials");
    expect(await f.region.db.prepare("SELECT count(*) AS n FROM id_cards WHERE tenant_id = ?").bind(f.tenantId).first("n")).toBe(0);
  });

  it("D bind: the panel asks for a PIN; the person's PIN binds the card to them, and from then on the card alone signs them in", async () => {
    const f = await panelFixture(policy({ unknownCard: "bind" }));
    const { user, pin } = await personWithPin(f);
    await problemOf(await panelSignIn(f, { card: "NEWCARD1" }), 401, "pin_required");
    expect(await usernameOf(f, await panelSignIn(f, { card: "NEWCARD1", pin }))).toBe(user.username);
    const cards = (await (await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}/cards`, { headers: f.auth })).json()) as { items: unknown[] };
    expect(cards.items).toHaveLength(1);
    expect(await usernameOf(f, await panelSignIn(f, { card: "NEWCARD1" }))).toBe(user.username);
  });

  it("D bind: a wrong PIN binds nothing", async () => {
    const f = await panelFixture(policy({ unknownCard: "bind" }));
    await personWithPin(f);
    await problemOf(await panelSignIn(f, { card: "NEWCARD2", pin: "582913" }), 401, "invalid_credentials");
    expect(await f.region.db.prepare("SELECT count(*) AS n FROM id_cards WHERE tenant_id = ?").bind(f.tenantId).first("n")).toBe(0);
  });

  it("D R register: an unknown card registers a new Guest_ work account holding it, active as the tenant says, and signs it in", async () => {
    const f = await panelFixture({ allowRegistration: true, newUsersActiveByDefault: true, ...policy({ unknownCard: "register" }) });
    const username = await usernameOf(f, await panelSignIn(f, { card: "GUEST001" }));
    expect(username).toMatch(/^Guest_\d{8}/);
    const row = await f.region.db.prepare("SELECT kind, created_via, active FROM users WHERE username = ? AND tenant_id = ?").bind(username, f.tenantId).first();
    expect(row).toEqual({ kind: "work", created_via: "card", active: 1 });
    // The same card again signs the same account in.
    expect(await usernameOf(f, await panelSignIn(f, { card: "GUEST001" }))).toBe(username);
  });

  it("R register: while the tenant does not allow registration, an unknown card registers nobody (403 registration_disabled)", async () => {
    const f = await panelFixture({ allowRegistration: false, ...policy({ unknownCard: "register" }) });
    await problemOf(await panelSignIn(f, { card: "GUEST002" }), 403, "registration_disabled");
    expect(await f.region.db.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(f.tenantId).first("n")).toBe(1);
  });

  it("R register: a new account that waits for an admin holds the card but gets no session (403, awaiting activation)", async () => {
    const f = await panelFixture({ allowRegistration: true, newUsersActiveByDefault: false, ...policy({ unknownCard: "register" }) });
    for (let swipe = 0; swipe < 2; swipe++) {
      expect((await problemOf(await panelSignIn(f, { card: "GUEST003" }), 403, "account_inactive")).detail).toContain("awaits activation");
    }
    expect(await f.region.db.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND created_via = 'card'").bind(f.tenantId).first("n")).toBe(1);
  });

  it("R register: the same unknown card swiped at two panels at once gives one account", async () => {
    const f = await panelFixture({ allowRegistration: true, newUsersActiveByDefault: true, ...policy({ unknownCard: "register" }) });
    const answers = await Promise.all([panelSignIn(f, { card: "GUEST004" }), panelSignIn(f, { card: "GUEST004" })]);
    const names = await Promise.all(answers.map((answer) => usernameOf(f, answer)));
    expect(names[0]).toBe(names[1]);
  });
});

describe("the panel policy", () => {
  it("validation: PINs as a method, a card's PIN step or binding need PINs; a card that needs a PIN cannot register accounts", async () => {
    const f = await panelFixture();
    for (const panel of [
      { pin: { enabled: false } },
      { pin: { enabled: false }, methods: ["card"], cardNeedsPin: true },
      { pin: { enabled: false }, methods: ["card"], unknownCard: "bind" },
      { cardNeedsPin: true, unknownCard: "register" },
    ]) {
      const response = await f.region.fetch(`/t/${f.tenant}/admin/settings`, { ...json({ panel }, f.auth), method: "PATCH" });
      expect((await problemOf(response, 400, "validation_failed")).errors?.[0]?.path, JSON.stringify(panel)).toBe("panel");
    }
    const saved = await f.region.fetch(`/t/${f.tenant}/admin/settings`, { ...json({ panel: { pin: { minLength: 8 }, cardRules: [{ padStart: 12 }] } }, f.auth), method: "PATCH" });
    expect(((await saved.json()) as { panel: unknown }).panel).toMatchObject({ pin: { enabled: true, minLength: 8 }, cardRules: [{ padStart: 12 }] });
  });

  it("D the tenant card says which methods its panels offer and whether a card needs a PIN", async () => {
    const f = await panelFixture(policy({ methods: ["card"], cardNeedsPin: true }));
    const card = (await (await f.region.fetch(`/t/${f.tenant}`)).json()) as { panel: unknown };
    expect(card.panel).toEqual({ methods: ["card"], cardNeedsPin: true });
    const defaults = await panelFixture();
    expect(((await (await f.region.fetch(`/t/${defaults.tenant}`)).json()) as { panel: unknown }).panel).toEqual({ methods: ["pin", "card"], cardNeedsPin: false });
  });

  it("D a method the tenant's panels do not offer is refused (403 forbidden)", async () => {
    const f = await panelFixture(policy({ methods: ["card"] }));
    const { pin } = await personWithPin(f);
    await problemOf(await panelSignIn(f, { pin }), 403, "forbidden");
  });
});
