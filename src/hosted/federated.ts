import type { ContinueHostedSignIn } from "../federation/routes";
import { scopeOf } from "../http/context";
import { startSession } from "../tokens/issue";
import { accountOf, issueCode, pageErrorOf, signInPage } from "./authorize";
import { authorizationRequestOf } from "./authorization-request";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { setHostedHeaders } from "./headers";

/**
 * A provider sign-in begun on the hosted page, back from the provider's callback: the person the
 * provider proved (rule X decided who) gets the browser's session, with the attempt record in its batch,
 * and the request its code; a refusal is the sign-in page again, saying why.
 */
export const continueHostedSignIn: ContinueHostedSignIn = async (c, outcome) => {
  // The callback is the region's, outside the tenant's paths: the hosted page's tenant is the flow's.
  c.set("tenant", outcome.tenant);
  const response = await answer(c, outcome);
  setHostedHeaders(response.headers);
  return response;
};

const answer: ContinueHostedSignIn = async (c, outcome) => {
  const parameters = new URLSearchParams(outcome.resume);
  // The request was checked when the flow began; the client's registration may have changed since.
  const request = authorizationRequestOf(c.var.config, parameters);
  const account = accountOf(outcome.tenant, parameters);
  if ("error" in outcome) {
    return signInPage(c, request, { account, status: outcome.error.status, error: pageErrorOf(outcome.error) });
  }
  const { tenant, user, method, amr, attempt } = outcome;
  const tokens = await startSession(scopeOf(c), { tenant, user, clientId: HOSTED_CLIENT_ID, method, scope: "openid", amr, attempt });
  keepBrowserSession(c, tenant, tokens.refresh_token);
  return issueCode(c, request, { userId: user.id, method, authTime: new Date() }, 303);
};
