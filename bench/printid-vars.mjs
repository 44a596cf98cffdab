// Fresh secrets of the shapes production uses, for the bench's printid Worker: one `NAME:value` line each,
// given to `wrangler dev` as `--var NAME:value` (which overrides any .dev.vars) by bench/printid-rows.sh.
// A bench run never needs, nor touches, the developer's .dev.vars secrets.
import { randomBytes } from "node:crypto";
import { newSigningKeys } from "../scripts/signing-keys.mjs";

console.log(`SIGNING_KEYS:${JSON.stringify(newSigningKeys(`bench-${randomBytes(4).toString("hex")}`))}`);
console.log(`CREDENTIAL_LOOKUP_KEY:${randomBytes(32).toString("base64url")}`);
console.log(`OPERATOR_TOKEN:${randomBytes(24).toString("base64url")}`);
