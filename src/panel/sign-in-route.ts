import type { Context } from "hono";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import type { AppEnv } from "../http/context";
import { scopeOf } from "../http/context";
import { AppError } from "../http/errors";
import { OAuthError } from "../http/oauth-error";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { callingClient } from "../tokens/client-auth";
import { supportedScopes } from "../tokens/clients";
import { clientParameters } from "../tokens/routes";
import { TokenResponseSchema } from "../tokens/token-response";
import { signInAtPanel } from "./sign-in";

const PanelSignInRequest = v.pipe(
  v.object({
    ...clientParameters,
    pin: v.optional(v.pipe(v.string(), v.regex(/^\d{4,16}$/, "A PIN is 4 to 16 digits"))),
    card: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
    scope: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(100),
        v.check((scope) => scope.split(" ").every((token) => (supportedScopes as readonly string[]).includes(token)), `Space-separated, among: ${supportedScopes.join(", ")}`),
      ),
    ),
  }),
  v.check((body) => body.pin !== undefined || body.card !== undefined, "Send a pin, a card, or a card and its pin"),
  v.metadata({ ref: "PanelSignInRequest" }),
);

const PanelTokenResponse = v.pipe(
  v.omit(v.object(TokenResponseSchema.entries), ["refresh_token"]),
  v.description("A panel's session: `expires_in` is the tenant's panel session time (at most 10 minutes); no refresh token"),
  v.metadata({ ref: "PanelTokenResponse" }),
);

/** The device, authenticated as at the token endpoint; its refusals in the contract's shape, with the Basic challenge. */
async function panelDevice(c: Context<AppEnv>, body: v.InferOutput<typeof PanelSignInRequest>) {
  const refused = (detail: string) =>
    new AppError("invalid_client", { detail, headers: { "WWW-Authenticate": 'Basic realm="printid", charset="UTF-8"' } });
  try {
    const calling = await callingClient(c, body);
    if (!calling?.device) throw refused("Only a device client of this tenant signs people in at a panel");
    return calling.device;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (error.error === "invalid_client") throw refused(error.description);
    throw new AppError("validation_failed", { detail: error.description });
  }
}

/** Rule D at the panel (issue 15): a printer or panel signs the person at it in with a PIN, a card, or both. */
export const panelSignIn = defineRoute(
  describeRoute({
    tags: ["Devices"],
    summary: "Sign a person in at a printer's panel with their PIN, their ID card, or the card and then their PIN",
    description:
      "The device authenticates with its credentials (HTTP Basic with its id and secret, or `private_key_jwt`). " +
      "An unknown PIN or card and a wrong PIN are answered alike (`invalid_credentials`). `pin_required`: the card " +
      "needs its holder's PIN as a second step (send `{ card, pin }`). Failures lock the device, and a card, for the " +
      "tenant's lockout time (`account_locked`). `scope` defaults to `openid profile`.",
    responses: {
      200: jsonResponse("Signed in: the panel's short session", PanelTokenResponse),
      ...problems(
        "validation_failed",
        "invalid_credentials",
        "invalid_client",
        "pin_required",
        "forbidden",
        "account_inactive",
        "registration_disabled",
        "card_taken",
        "account_locked",
        "rate_limited",
      ),
    },
  }),
  jsonBody(PanelSignInRequest),
  async (c) => {
    const body = c.req.valid("json");
    const device = await panelDevice(c, body);
    c.header("Cache-Control", "no-store");
    return c.json(await signInAtPanel(scopeOf(c), c.var.tenant, device, body), 200);
  },
);
