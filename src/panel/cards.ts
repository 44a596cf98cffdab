import { and, desc, eq } from "drizzle-orm";
import { lookupKeyOf } from "../crypto/lookup-key";
import type { Database } from "../db/client";
import { idCards, type Tenant } from "../db/schema";

/**
 * The tenant's ID cards (rule D): several per person, unique within the tenant, each stored as the keyed
 * hash of its normalised number (card-numbers.ts), never the number. A card past its expiry is no card.
 */

export type IdCard = typeof idCards.$inferSelect;

export interface NewCard {
  /** Already normalised by the tenant's rules. */
  number: string;
  label?: string | null;
  expiresAt?: Date | null;
}

export const cardLookupKey = (key: CryptoKey, tenant: Tenant, number: string) => lookupKeyOf(key, tenant.id, "card", number);

/**
 * The insert of a card for the person, found by `lookupKey` (cardLookupKey): a write for the caller's
 * batch, which D1 refuses for a card the tenant already has (isCardTaken).
 */
export function insertCard(db: Database, tenant: Tenant, userId: string, lookupKey: string, card: Omit<NewCard, "number"> = {}) {
  const row: IdCard = {
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    userId,
    lookupKey,
    label: card.label ?? null,
    expiresAt: card.expiresAt ?? null,
    failedSignIns: 0,
    lockedUntil: null,
    createdAt: new Date(),
    lastUsedAt: null,
  };
  return { row, write: db.insert(idCards).values(row) };
}

/** True when D1 refused a card because the tenant already has it (SQLite names the unique index's first column). */
export const isCardTaken = (violation: string | undefined) => violation === "id_cards.tenant_id";

/** The tenant's card of this lookup key, expired or not (the caller tells, at its `now`). */
export function findCard(db: Database, tenant: Tenant, lookupKey: string): Promise<IdCard | undefined> {
  return db
    .select()
    .from(idCards)
    .where(and(eq(idCards.tenantId, tenant.id), eq(idCards.lookupKey, lookupKey)))
    .get();
}

export const cardValid = (card: IdCard, now: Date) => card.expiresAt === null || card.expiresAt.getTime() > now.getTime();

/** The person's cards, newest first. */
export function cardsOf(db: Database, tenantId: string, userId: string) {
  return db
    .select()
    .from(idCards)
    .where(and(eq(idCards.userId, userId), eq(idCards.tenantId, tenantId)))
    .orderBy(desc(idCards.createdAt))
    .all();
}

/** Removes one of the person's cards; false when the person has no such card. */
export async function removeCard(db: Database, tenantId: string, userId: string, cardId: string): Promise<boolean> {
  const removed = await db
    .delete(idCards)
    .where(and(eq(idCards.id, cardId), eq(idCards.userId, userId), eq(idCards.tenantId, tenantId)))
    .returning({ id: idCards.id });
  return removed.length > 0;
}
