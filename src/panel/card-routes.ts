import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { userOfTenant } from "../accounts/queries";
import { uniqueViolation } from "../db/errors";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, jsonBody, pathParams, validationFailed } from "../http/validation";
import { canonicalCardNumber } from "./card-numbers";
import { cardLookupKey, cardsOf, insertCard, isCardTaken, removeCard, type IdCard } from "./cards";

// ID cards: an admin registers a person's cards (several, each with an optional expiry) and removes them;
// the person sees their own and may remove one they lost. A number is never answered: only hashes are kept.

const CardView = v.pipe(
  v.object({
    id: v.string(),
    label: v.nullable(v.string()),
    expiresAt: v.nullable(v.string()),
    createdAt: v.string(),
    lastUsedAt: v.nullable(v.string()),
    lockedUntil: v.nullable(v.pipe(v.string(), v.description("Set while wrong PINs typed after the card keep it locked"))),
  }),
  v.metadata({ ref: "IdCard" }),
);

const iso = (date: Date | null) => date?.toISOString() ?? null;
const cardView = (card: IdCard) => ({
  id: card.id,
  label: card.label,
  expiresAt: iso(card.expiresAt),
  createdAt: card.createdAt.toISOString(),
  lastUsedAt: iso(card.lastUsedAt),
  lockedUntil: card.lockedUntil && card.lockedUntil.getTime() > Date.now() ? card.lockedUntil.toISOString() : null,
});

const CardPath = v.object({ id: v.pipe(v.string(), v.uuid()), cardId: v.pipe(v.string(), v.uuid()) });

const NewCardBody = v.pipe(
  v.object({
    number: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(128),
      v.description("As printed on the card (letters and digits, any case): the tenant's card rules bring what its readers report to this form"),
    ),
    label: v.optional(v.nullable(v.pipe(v.string(), v.trim(), v.maxLength(100)))),
    expiresAt: v.optional(
      v.nullable(
        v.pipe(
          v.string(),
          v.isoTimestamp("An ISO 8601 time with its offset, e.g. 2027-01-31T18:00:00Z"),
          v.transform((text) => new Date(text)),
          v.check((date) => date.getTime() > Date.now(), "A temporary card expires in the future"),
        ),
      ),
    ),
  }),
  v.metadata({ ref: "NewIdCard" }),
);

export const listUserCards = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "A user's ID cards, newest first",
    responses: {
      200: jsonResponse("The cards", v.object({ items: v.array(CardView) })),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const user = await userOfTenant(c.var.db, c.var.tenant.id, c.req.valid("param").id);
    return c.json({ items: (await cardsOf(c.var.db, c.var.tenant.id, user.id)).map(cardView) }, 200);
  },
);

export const addUserCard = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Register an ID card for a user; a temporary card has an expiry",
    responses: {
      201: jsonResponse("Registered", CardView),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "card_taken"),
    },
  }),
  pathParams(IdPath),
  jsonBody(NewCardBody),
  async (c) => {
    const { db, config, tenant } = c.var;
    const user = await userOfTenant(c.var.db, c.var.tenant.id, c.req.valid("param").id);
    const body = c.req.valid("json");
    const number = canonicalCardNumber(body.number);
    if (number === undefined) throw validationFailed([{ path: "number", message: "A card number is 1 to 64 letters and digits" }]);
    const { row, write } = insertCard(db, tenant, user.id, await cardLookupKey(await config.lookupKey(), tenant, number), body);
    try {
      await write;
    } catch (error) {
      if (isCardTaken(uniqueViolation(error))) throw new AppError("card_taken");
      throw error;
    }
    return c.json(cardView(row), 201);
  },
);

export const removeUserCard = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Remove a user's ID card: it signs nobody in any more",
    responses: { 204: { description: "Removed" }, ...problems("validation_failed", "unauthorized", "forbidden", "not_found") },
  }),
  pathParams(CardPath),
  async (c) => {
    const { id, cardId } = c.req.valid("param");
    if (!(await removeCard(c.var.db, c.var.tenant.id, id, cardId))) throw new AppError("not_found", { detail: "No such card of this user" });
    return c.body(null, 204);
  },
);

export const listMyCards = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "My ID cards, newest first",
    responses: { 200: jsonResponse("The cards", v.object({ items: v.array(CardView) })), ...problems("unauthorized", "account_inactive") },
  }),
  async (c) => c.json({ items: (await cardsOf(c.var.db, c.var.tenant.id, c.var.principal.user.id)).map(cardView) }, 200),
);

export const removeMyCard = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Remove one of my ID cards (a lost card): it signs nobody in any more",
    responses: { 204: { description: "Removed" }, ...problems("validation_failed", "unauthorized", "not_found") },
  }),
  pathParams(v.object({ cardId: v.pipe(v.string(), v.uuid()) })),
  async (c) => {
    const { db, tenant, principal } = c.var;
    if (!(await removeCard(db, tenant.id, principal.user.id, c.req.valid("param").cardId))) throw new AppError("not_found", { detail: "No such card of yours" });
    return c.body(null, 204);
  },
);
