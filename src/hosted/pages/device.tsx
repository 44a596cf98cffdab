import type { DeviceKind } from "../../devices/device-clients";
import { messages, type Locale } from "../i18n";
import { HiddenFields, HostedPage } from "./layout";
import { TextField } from "./text-field";

/** What the device page shows: each state of a person at `verification_uri` (RFC 8628 §3.3). */
export type DevicePageState =
  | { step: "sign-in-first" }
  | { step: "type-code"; unknownCode?: boolean }
  | { step: "confirm"; device: { name: string; kind: DeviceKind }; person: string; hidden: Record<string, string> }
  | { step: "done"; device: { name: string; kind: DeviceKind }; approved: boolean };

export interface DevicePageProps {
  locale: Locale;
  tenantName: string;
  /** Where the page's forms go: the page itself. */
  action: string;
  state: DevicePageState;
}

/**
 * The page a device's QR code or typed link opens: the code typed (or filled in from the link), then the
 * asking device named before the person approves or denies it. No script; the decision's form carries
 * the CSRF token.
 */
export function DevicePage(props: DevicePageProps) {
  const t = messages(props.locale).device;
  const { state } = props;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName} refused={state.step === "type-code" && state.unknownCode}>
      {state.step === "sign-in-first" && <p>{t.signInFirst}</p>}
      {state.step === "type-code" && (
        <form method="get" action={props.action}>
          {state.unknownCode && <p role="alert">{t.unknownCode}</p>}
          <TextField name="user_code" label={t.codeLabel} hint={t.codeHint} autocomplete="off" autocapitalize="characters" required />
          <button type="submit">{t.next}</button>
        </form>
      )}
      {state.step === "confirm" && (
        <form method="post" action={props.action}>
          <p>{t.asks(state.device.name, t.kinds[state.device.kind], state.person)}</p>
          <HiddenFields fields={state.hidden} />
          <button type="submit" name="decision" value="approve">
            {t.approve}
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            {t.deny}
          </button>
        </form>
      )}
      {state.step === "done" && (
        <p role="status">{state.approved ? t.approved(state.device.name) : t.denied(state.device.name)}</p>
      )}
    </HostedPage>
  );
}
