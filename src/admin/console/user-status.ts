import type { User } from "../../db/schema";
import { isPendingActivation } from "../../policy/admission";

/** A user's status as the console shows it, and its colour (layout.tsx's `.status`). */
export function statusOf(user: User): { label: string; tone: "active" | "pending" | "deactivated" } {
  if (user.active) return { label: "Active", tone: "active" };
  return isPendingActivation(user) ? { label: "Pending activation", tone: "pending" } : { label: "Deactivated", tone: "deactivated" };
}
