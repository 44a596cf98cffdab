import type { CardRule } from "../db/schema";

/**
 * Card numbers (rule D). A card is registered by its number as printed on it, or as the tenant's other
 * systems know it: letters and digits, in any case (`canonicalCardNumber`). Readers report the same card
 * differently (spaces, hex or decimal, bytes in either order, leading zeros): the tenant's list of rules,
 * applied in order to what its readers report, brings that to the registered form (`normaliseCardNumber`).
 * A leaf room, like pin-numbers.ts.
 */

/** The form a card is kept and looked up in: letters and digits, upper case. */
const CANONICAL = /^[0-9A-Z]{1,64}$/;

const HEX = /^[0-9A-Fa-f]+$/;

type Step = (number: string) => string | undefined;

const steps: Record<Exclude<CardRule, { padStart: number }>, Step> = {
  trim: (number) => number.trim(),
  uppercase: (number) => number.toUpperCase(),
  // BigInt: a card's UID is up to 10 bytes, past what a JavaScript number holds exactly.
  hexToDecimal: (number) => (HEX.test(number) ? BigInt(`0x${number}`).toString(10) : undefined),
  // Readers disagree on byte order: "04A1B2C3" from one is "C3B2A104" from another.
  reverseBytes: (number) => (HEX.test(number) ? (number.length % 2 ? `0${number}` : number).match(/../g)!.reverse().join("") : undefined),
  stripLeadingZeros: (number) => number.replace(/^0+(?=.)/, ""),
};

const stepOf = (rule: CardRule): Step =>
  typeof rule === "string" ? steps[rule] : (number) => number.padStart(rule.padStart, "0");

/** A number as an admin types it, in the form cards are kept in; undefined when it is no card number. */
export function canonicalCardNumber(number: string): string | undefined {
  const canonical = number.trim().toUpperCase();
  return CANONICAL.test(canonical) ? canonical : undefined;
}

/**
 * What a reader reported, through the tenant's rules, in the form cards are kept in; undefined when the
 * rules cannot apply to it (a hex rule on a number that is not hex) or it is no card number.
 */
export function normaliseCardNumber(read: string, rules: readonly CardRule[]): string | undefined {
  let number: string | undefined = read;
  for (const rule of rules) {
    number = stepOf(rule)(number);
    if (number === undefined) return undefined;
  }
  return canonicalCardNumber(number);
}
