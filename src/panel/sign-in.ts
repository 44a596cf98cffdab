import { findUserById } from "../accounts/queries";
import { admitRegistration } from "../accounts/rule-r";
import { createUser } from "../accounts/create";
import { guestUsername } from "../accounts/usernames";
import { recordAttempt } from "../audit/attempts";
import { dummyHash, verifyPassword } from "../credentials/password";
import { commit, commitGivingBack, type Write } from "../db/batch";
import { uniqueViolation } from "../db/errors";
import { isDatabaseUnavailable } from "../db/guard";
import type { PanelMethod, Tenant, User } from "../db/schema";
import type { DeviceClient } from "../devices/device-clients";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { amrOfMethod } from "../factors/amr";
import { isSecondStep } from "../factors/challenges";
import { startPanelSession, type PanelTokenResponse } from "../tokens/issue";
import { normaliseCardNumber } from "./card-numbers";
import { cardLookupKey, cardValid, findCard, insertCard, isCardTaken, type IdCard } from "./cards";
import { giveDeviceTryBack, settleCardRight, settleCardWrong, settleDeviceFailure, takeCardTry, takeDeviceTry } from "./lockout";
import { findPin, pinHashOf } from "./pins";

/** What a panel sends: a PIN alone, a card alone, or a card and then its holder's PIN. */
export interface PanelCredentials {
  pin?: string;
  card?: string;
  scope?: string;
}

/** How the credentials came out: a person, or a refusal that counts against the device (`failure`) or not. */
type Verdict =
  /** `amr` when more than the method says: a card and its holder's PIN are two factors (rule M). */
  | { user: User; writes: Write[]; amr?: string[] }
  | { refusal: AppError; failure: boolean; userId?: string; writes?: Write[] };

const refused = (refusal: AppError, failure = true, more: { userId?: string; writes?: Write[] } = {}): Verdict => ({ refusal, failure, ...more });
const wrong = (more: { userId?: string; writes?: Write[] } = {}) =>
  refused(new AppError("invalid_credentials", { detail: "The PIN or card is not valid" }), true, more);

/** A card (something held) and its holder's PIN (something known): two factors. */
const CARD_AND_PIN = [...amrOfMethod("card"), ...amrOfMethod("pin"), "mfa"];

const locked = (what: string, until: Date | null, now: Date) => {
  const seconds = Math.max(1, Math.ceil(((until?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
  return new AppError("account_locked", {
    detail: `Too many failed sign-ins ${what}: try again in ${seconds} seconds.`,
    headers: { "Retry-After": String(seconds) },
  });
};

/**
 * Rule D at a printer's panel: the device (already authenticated) signs a person in with their PIN, their
 * ID card, or the card and then their PIN, as the tenant's panel policy allows. A try is counted at the
 * device before any credential is checked; an unknown PIN or card and a wrong PIN are answered alike,
 * after the same work (an Argon2id check); rule P admits the person; every attempt is recorded with its
 * method, the device's name (as the attempt's login: nothing is typed that could be shown) and its IP.
 * The answer is a panel's session: short, with no refresh token.
 */
export async function signInAtPanel(scope: Scope, tenant: Tenant, device: DeviceClient, input: PanelCredentials): Promise<PanelTokenResponse> {
  const { db } = scope;
  const now = new Date();
  const method: PanelMethod = input.card === undefined ? "pin" : "card";
  const attempt = (userId: string | null, code: string | null) =>
    recordAttempt(db, { tenantId: tenant.id, at: now, login: device.name, userId, code, method, clientId: device.id }, scope.meta);
  const refuse = async (refusal: AppError, userId: string | null, writes: Write[]): Promise<never> => {
    await commit(db, [...writes, attempt(userId, refusal.code)]);
    throw refusal;
  };

  if (device.kind === "desktop") {
    return refuse(new AppError("forbidden", { detail: "A desktop client signs people in with a device code, not at a panel" }), null, []);
  }
  if (!tenant.panel.methods.includes(method)) {
    return refuse(new AppError("forbidden", { detail: `This tenant's panels do not take ${method === "pin" ? "a PIN alone" : "cards"}` }), null, []);
  }
  const [counted] = await takeDeviceTry(db, tenant, device.id, now);
  if (!counted) return refuse(locked("at this device", device.lockedUntil, now), null, []);
  try {
    return await checkAndOpen(scope, tenant, device, input, { method, now, refuse, attempt });
  } catch (error) {
    // Rule H: a database fault is not the person's failure: the device's try is given back, as far as the database lets us.
    if (isDatabaseUnavailable(error)) await commitGivingBack(db, [giveDeviceTryBack(db, device.id)]);
    throw error;
  }
}

interface Outcomes {
  method: PanelMethod;
  now: Date;
  refuse: (refusal: AppError, userId: string | null, writes: Write[]) => Promise<never>;
  attempt: (userId: string | null, code: string | null) => Write;
}

/** With the device's try counted: the credentials checked, then the refusal said or the panel's session opened. */
async function checkAndOpen(scope: Scope, tenant: Tenant, device: DeviceClient, input: PanelCredentials, { method, now, refuse, attempt }: Outcomes) {
  const { db } = scope;
  const key = await scope.config.lookupKey();
  const verdict =
    input.card === undefined ? await byPin(scope, key, tenant, input.pin ?? "") : await byCard(scope, key, tenant, input.card, input.pin, now);
  if ("refusal" in verdict) {
    const settle = verdict.failure ? settleDeviceFailure(db, tenant, device.id, now) : giveDeviceTryBack(db, device.id);
    return refuse(verdict.refusal, verdict.userId ?? null, [settle, ...(verdict.writes ?? [])]);
  }
  const settled = [giveDeviceTryBack(db, device.id), ...verdict.writes];
  try {
    return await startPanelSession(
      scope,
      { tenant, user: verdict.user, clientId: device.id, method, scope: input.scope ?? "openid profile", amr: verdict.amr, attempt: (code) => attempt(verdict.user.id, code) },
      tenant.panel.sessionSeconds,
      settled,
    );
  } catch (error) {
    // Rule M: the second step is owed (already recorded, with the device's try given back): the panel asks for it.
    if (isSecondStep(error)) throw error;
    // Rule P (a deactivated person, one awaiting activation): the credential was right, the refusal is said.
    if (error instanceof AppError) return refuse(error, verdict.user.id, settled);
    // The card was bound to somebody else between our look and our write.
    if (isCardTaken(uniqueViolation(error))) return refuse(new AppError("card_taken"), verdict.user.id, settled);
    throw error;
  }
}

/** The PIN names its holder through the keyed hash; Argon2id confirms it (or, for nobody, costs the same). */
async function byPin(scope: Scope, key: CryptoKey, tenant: Tenant, pin: string): Promise<Verdict> {
  const held = await findPin(scope.db, key, tenant, pin);
  const right = await verifyPassword(pin, held?.pinHash ?? (await dummyHash()));
  const user = held && right ? await findUserById(scope.db, tenant.id, held.userId) : undefined;
  return user ? { user, writes: [] } : wrong();
}

/**
 * A card, alone or with its holder's PIN. A card held in the tenant (and not expired) signs its holder
 * in, after the PIN when the tenant asks for one. A card nobody holds goes as the tenant's unknown-card
 * policy says: refused; `bind`, to the person whose PIN follows it; `register`, to a new account (rule R).
 */
async function byCard(scope: Scope, key: CryptoKey, tenant: Tenant, read: string, pin: string | undefined, now: Date): Promise<Verdict> {
  const { db } = scope;
  const policy = tenant.panel;
  const number = normaliseCardNumber(read, policy.cardRules);
  const lookup = number === undefined ? undefined : await cardLookupKey(key, tenant, number);
  const found = lookup === undefined ? undefined : await findCard(db, tenant, lookup);
  const card = found && cardValid(found, now) ? found : undefined;

  if (pin === undefined) {
    if (card) {
      if (policy.cardNeedsPin) return refused(new AppError("pin_required"), false);
      const user = await findUserById(db, tenant.id, card.userId);
      return user ? { user, writes: [settleCardRight(db, card.id, now)] } : wrong();
    }
    if (lookup !== undefined && !found && policy.unknownCard === "register") return registerCardHolder(scope, tenant, lookup);
    // The panel asks for the PIN as it would for a held card: whether this one is held is not said.
    return policy.cardNeedsPin || policy.unknownCard === "bind" ? refused(new AppError("pin_required")) : wrong();
  }

  if (card) return cardAndPin(scope, tenant, card, pin, now);
  if (lookup !== undefined && !found && policy.unknownCard === "bind") {
    // The PIN says who is binding the card; it then opens the session like any card.
    const bound = await byPin(scope, key, tenant, pin);
    return "user" in bound ? { user: bound.user, writes: [insertCard(db, tenant, bound.user.id, lookup).write], amr: CARD_AND_PIN } : bound;
  }
  await verifyPassword(pin, await dummyHash());
  return wrong();
}

/** The holder's PIN after their card, counted on the card (a locked card is refused without a check). */
async function cardAndPin(scope: Scope, tenant: Tenant, card: IdCard, pin: string, now: Date): Promise<Verdict> {
  const { db } = scope;
  const [counted] = await takeCardTry(db, tenant, card.id, now);
  if (!counted) return refused(locked("with this card", card.lockedUntil, now), true, { userId: card.userId });
  const pinHash = await pinHashOf(db, card.userId);
  const right = (await verifyPassword(pin, pinHash ?? (await dummyHash()))) && pinHash !== undefined;
  if (!right) return wrong({ userId: card.userId, writes: [settleCardWrong(db, tenant, card.id, now)] });
  const user = await findUserById(db, tenant.id, card.userId);
  return user ? { user, writes: [settleCardRight(db, card.id, now)], amr: CARD_AND_PIN } : wrong();
}

/**
 * The unknown-card policy `register`: a new work account named `Guest_{random}` holding the card, as rule R
 * allows (refused while the tenant does not allow registration; waiting for an admin unless new accounts
 * are active by default). The same card swiped twice at once gives one account: the second finds the first's.
 */
async function registerCardHolder(scope: Scope, tenant: Tenant, lookup: string): Promise<Verdict> {
  const { db } = scope;
  let active: boolean;
  try {
    ({ active } = admitRegistration(tenant));
  } catch (refusal) {
    if (refusal instanceof AppError) return refused(refusal);
    throw refusal;
  }
  try {
    const user = await createUser(
      db,
      tenant,
      { email: null, emailVerified: false, firstName: null, lastName: null, kind: "work", active, roles: [], createdVia: "card", passwordHash: null },
      { generatedFrom: guestUsername() },
      (user) => [insertCard(db, tenant, user.id, lookup).write],
    );
    return { user, writes: [] };
  } catch (error) {
    if (!isCardTaken(uniqueViolation(error))) throw error;
    const card = await findCard(db, tenant, lookup);
    const user = card && (await findUserById(db, tenant.id, card.userId));
    return user ? { user, writes: [] } : wrong();
  }
}
