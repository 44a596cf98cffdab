import type { CardRule } from "../db/schema";

/**
 * A card number as the tenant's rules make it (rule D): readers of different makes report one card
 * differently (spaces, hex or decimal, bytes in either order, leading zeros), and the tenant's list of
 * rules, applied in order, brings them to one form before the number is looked up or registered. A leaf
 * room, like pin-numbers.ts.
 */

/** What a number must look like once normalised: letters and digits, as every reader's output reduces to. */
const NORMALISED = /^[0-9A-Za-z]{1,64}$/;

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

/** The number in the tenant's form, or undefined when the rules cannot apply to it (a hex rule on a non-hex number). */
export function normaliseCardNumber(read: string, rules: readonly CardRule[]): string | undefined {
  let number: string | undefined = read;
  for (const rule of rules) {
    number = stepOf(rule)(number);
    if (number === undefined) return undefined;
  }
  return NORMALISED.test(number) ? number : undefined;
}
