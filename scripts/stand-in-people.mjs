// Who a stand-in provider (stand-in-providers.mjs) signs in, as its ID token describes them. Two kinds:
//   - a named person, for `npm run dev` and `npm run oauth:try -- --user jane.doe`: a login gives the e-mail
//     (jane.doe → jane.doe@<provider>.example; an address is taken as it is), the names (Jane Doe) and a
//     subject that is the same every time, so that a second sign-in finds the identity the first one made;
//   - a new identity, for the tests: a fresh subject and nothing else, so that a test states every claim
//     it relies on.
// Microsoft's directory (`tid`) decides the account: the consumers directory's is a PERSONAL ACCOUNT,
// any other a WORK ACCOUNT.
import { createHash } from "node:crypto";

/** The directory (`tid`) of every personal Microsoft account, as Microsoft issues it. */
export const CONSUMERS_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";
/** The work directory of the stand-in's Microsoft work accounts, unless told another. */
export const WORK_TID = "00000000-0000-4000-8000-00000000d0e5";

const capitalize = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/** First and last name from a login's local part: jane.doe (or jane.doe@…) → Jane, Doe. */
export function namesOf(login) {
  const [first, last] = login.split("@")[0].split(/[._-]+/).filter(Boolean).map(capitalize);
  return { first, last };
}

const digestOf = (text) => createHash("sha256").update(text).digest("hex");
/** A GUID from hex digits: the version-4 shape. */
const guidOf = (hex) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
const randomHex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("");
const randomDigits = (length) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte, index) => (index === 0 ? 1 + (byte % 9) : byte % 10)).join("");

/**
 * The named person behind `login` (default dev.user). For Microsoft, `directory` is the account's:
 * { kind: "work" | "personal", tid? }.
 */
export function personOf(providerName, { login, withNames = true, directory = { kind: "work" } } = {}) {
  const personal = providerName === "microsoft" && directory.kind === "personal";
  const hint = login?.trim().toLowerCase() || "dev.user";
  const email = hint.includes("@") ? hint : `${hint}@${personal ? "outlook" : providerName}.example`;
  const { first, last } = namesOf(email);
  const names = withNames ? { given_name: first, family_name: last } : {};
  const digest = digestOf(`${providerName}:${personal ? "personal:" : ""}${email}`);
  switch (providerName) {
    case "apple":
      // Apple's ID token has no names (they come once, in the form_post `user` field) and a string flag.
      return { sub: `000${digest.slice(0, 3)}.${digest.slice(3, 35)}.0${digest.slice(35, 38)}`, email, email_verified: "true" };
    case "google":
      return {
        sub: BigInt(`0x${digest.slice(0, 16)}`).toString().padStart(21, "1"),
        email,
        email_verified: true,
        ...names,
        ...(names.given_name ? { name: [names.given_name, names.family_name].filter(Boolean).join(" ") } : {}),
      };
    case "microsoft":
      if (personal) {
        // A personal account's oid has the shape Microsoft gives them: 00000000-0000-0000-xxxx-xxxxxxxxxxxx.
        const oid = `00000000-0000-0000-${digest.slice(0, 4)}-${digest.slice(4, 16)}`;
        return { sub: digest.slice(0, 43), tid: CONSUMERS_TID, oid, email, preferred_username: email, ...names };
      }
      // A work account: the directory says it verified the address's domain (xms_edov), as Entra does when
      // the app asks for that optional claim; without it the Worker keeps no address from a work directory.
      return { sub: digest.slice(0, 43), tid: directory.tid ?? WORK_TID, oid: guidOf(digest), email, preferred_username: email, xms_edov: true, ...names };
    default:
      throw new Error(`unknown provider ${providerName}`);
  }
}

/** A new identity in the provider's own shape, and nothing else (Microsoft: `oid` and the directory's `tid`). */
export function newIdentity(providerName, directory = { kind: "work" }) {
  switch (providerName) {
    case "apple":
      return { sub: `000${randomDigits(3)}.${randomHex(16)}.0${randomDigits(3)}` };
    case "google":
      return { sub: randomDigits(21) };
    case "microsoft": {
      const tid = directory.kind === "personal" ? CONSUMERS_TID : (directory.tid ?? WORK_TID);
      return { sub: randomHex(16), oid: crypto.randomUUID(), tid };
    }
    default:
      throw new Error(`unknown provider ${providerName}`);
  }
}
