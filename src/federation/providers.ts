import type { ProviderName } from "../db/schema";
import { apple } from "./apple";
import type { ProviderBindings } from "./bindings";
import { google } from "./google";
import { microsoft } from "./microsoft";
import type { Provider } from "./provider";

const builders: Record<ProviderName, (env: ProviderBindings) => Provider | undefined> = { apple, google, microsoft };

/** The provider of that name, if this Worker has credentials for it. */
export function providerOf(env: ProviderBindings, name: ProviderName): Provider | undefined {
  return builders[name](env);
}
