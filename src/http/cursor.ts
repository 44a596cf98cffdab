import * as v from "valibot";

/**
 * Opaque pagination cursors: the sort key of the last item seen, as base64url JSON. A cursor only says
 * where to resume inside lists that are already scoped, so a forged one can skip items, never reveal any;
 * one that does not decode to the expected key is `400 validation_failed`.
 */
export function encodeCursor(key: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Marks a cursor that does not decode; the `check` after it turns that into the field's message. */
const UNREADABLE = Symbol("unreadable cursor");

function decodeCursor(cursor: string): unknown {
  try {
    const base64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return UNREADABLE;
  }
}

export function cursorOf<T extends v.GenericSchema>(key: T) {
  return v.pipe(
    v.string(),
    v.maxLength(512),
    v.description("`nextCursor` of the previous page"),
    v.transform(decodeCursor),
    v.check((decoded) => decoded !== UNREADABLE, "Not a cursor this API gave out"),
    key,
  );
}

/** A page size from the query string: 1–100, 50 when absent. */
export const PageLimit = v.optional(
  v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(1), v.maxValue(100)),
  "50",
);
