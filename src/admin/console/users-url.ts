import * as v from "valibot";
import { MAX_SEARCH_LENGTH } from "../users";
import { blankAsAbsent } from "./forms";

const Status = blankAsAbsent(v.picklist(["pending", "active", "inactive"]));
const Search = blankAsAbsent(
  v.pipe(v.string(), v.trim(), v.maxLength(MAX_SEARCH_LENGTH, `The search is too long: at most ${MAX_SEARCH_LENGTH} characters.`)),
);

/** Which users the list shows; carried through the row buttons so the admin comes back to the same list. */
export const ListFilter = v.object({ status: Status, q: Search });
export type ListFilter = v.InferOutput<typeof ListFilter>;

export function usersUrl(base: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `${base}/users${query.size ? `?${query}` : ""}`;
}

