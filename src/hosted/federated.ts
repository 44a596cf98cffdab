import type { ContinueHostedSignIn } from "../federation/routes";
import { isSecondStep } from "../factors/challenges";
import { scopeOf } from "../http/context";
import { AppError } from "../http/errors";
import { startSession } from "../tokens/issue";
import { accountOf, issueCode, pageErrorOf, signedInWith, signInPage } from "./authorize";
import { authorizationRequestOf } from "./authorization-request";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { setHostedHeaders } from "./headers";
import { rememberedDeviceOf } from "./remembered-device";
import { secondStepPage } from "./second-step";

/**
 * A provider sign-in begun on the hosted page, back from the provider's callback: the person the
 * provider proved (rule X decided who) gets the browser's session, with the attempt record in its batch,
 * and the request its code, or first the second step a person owes (rule M); a refusal is the sign-in
 * page again, saying why.
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
  const grant = { tenant, user, clientId: HOSTED_CLIENT_ID, method, scope: "openid", amr, attempt, rememberToken: rememberedDeviceOf(c) };
  let tokens;
  try {
    tokens = await startSession(scopeOf(c), grant);
  } catch (error) {
    if (error instanceof AppError && isSecondStep(error)) return secondStepPage(c, request, error);
    throw error;
  }
  keepBrowserSession(c, tenant, tokens.refresh_token);
  return issueCode(c, request, signedInWith(tokens, method), 303);
};
