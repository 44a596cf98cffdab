import type { Child } from "hono/jsx";
import type { Catalogue } from "../i18n";
import { HiddenFields } from "./layout";

export interface PasskeyFormProps {
  m: Catalogue;
  /** `create`: a new passkey (navigator.credentials.create); `get`: an existing one answers (navigator.credentials.get). */
  kind: "create" | "get";
  /** Where the credential is posted, with the hidden fields. */
  action: string;
  hidden: Record<string, string>;
  /** The field that carries the credential's JSON. */
  responseField: string;
  /** Where the script asks for the options, with the form's fields; absent when they are in `options`, or cannot be had without a step first. */
  optionsAction?: string;
  /** The options themselves, made for this page (after the step a change asked). */
  options?: unknown;
  /** Offer the passkeys among the login field's suggestions at load (WebAuthn's conditional mediation). */
  conditional?: boolean;
  label: string;
  secondary?: boolean;
  /** More of the form before its button (a name for the new passkey, "Remember this device"). */
  children?: Child;
}

/**
 * A passkey's form, driven by the passkey script (passkey-script.ts says how): hidden until the script
 * runs, so that without script, or without WebAuthn, the page offers only what works there.
 */
export function PasskeyForm(props: PasskeyFormProps) {
  return (
    <form
      method="post"
      action={props.action}
      data-passkey={props.kind}
      data-options-action={props.optionsAction}
      data-options={props.options === undefined ? undefined : JSON.stringify(props.options)}
      data-conditional={props.conditional ? "" : undefined}
      data-passkey-part=""
      hidden
    >
      <HiddenFields fields={props.hidden} />
      <input type="hidden" name={props.responseField} value="" data-passkey-response="" />
      {props.children}
      <p class="field-error" role="alert" data-passkey-failed="" hidden>
        {props.m.passkeys.failed}
      </p>
      <button type="submit" class={props.secondary ? "secondary" : undefined}>
        {props.label}
      </button>
    </form>
  );
}
