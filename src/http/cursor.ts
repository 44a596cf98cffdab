import { z } from "@hono/zod-openapi";

/**
 * Opaque pagination cursors: the sort key of the last item seen, as base64url JSON. A cursor only says
 * where to resume inside lists that are already scoped, so a forged one can skip items, never reveal any;
 * one that does not decode to the expected key is `400 validation_failed`.
 */
export function encodeCursor(key: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function cursorOf<T extends z.ZodType>(key: T) {
  return z
    .string()
    .max(512)
    .transform((cursor, ctx) => {
      try {
        const base64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
        const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "Not a cursor this API gave out" });
        return z.NEVER;
      }
    })
    .pipe(key)
    .openapi({ type: "string", description: "`nextCursor` of the previous page" });
}

export const PageLimit = z.coerce.number().int().min(1).max(100).default(50);
