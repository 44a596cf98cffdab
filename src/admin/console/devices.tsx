import * as v from "valibot";
import { deviceKinds } from "../../db/schema";
import { findDevice, listDevices, MAX_DEVICE_NAME_LENGTH, registerDevice, type DeviceClient, type DeviceKind } from "../../devices/device-clients";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { formFields, formOf, queryOf } from "./forms";
import { ConsolePage, CsrfField, Message } from "./layout";
import { Time } from "./time";

/** How many devices the page lists, newest first; past them it says that the admin API pages through all. */
const SHOWN = 200;

/** The admin API's bound on a device's name, said in the form's words. */
const nameRule = `Name: 1 to ${MAX_DEVICE_NAME_LENGTH} characters.`;

export const kindLabels: Record<DeviceKind, string> = { printer: "Printer", panel: "Panel", desktop: "Desktop print client" };

/** The registration form: the admin API's own rules (a name trimmed, 1–100 characters; a known kind). */
const RegistrationForm = v.object({
  name: v.pipe(v.string(), v.trim(), v.minLength(1, nameRule), v.maxLength(MAX_DEVICE_NAME_LENGTH, nameRule)),
  kind: v.picklist(deviceKinds),
});

/** `?revoked={id}` after a revocation: a device id, looked up in this tenant (anything else shows nothing). */
const DevicesQuery = v.object({ revoked: v.fallback(v.optional(v.pipe(v.string(), v.uuid())), undefined) });

interface DevicesView {
  /** A device registered by this very request: its secret is on this answer and nowhere else. */
  registered?: { device: DeviceClient; clientSecret: string };
  /** The device whose revocation the redirect reports. */
  revokedId?: string;
  /** Why the registration form was refused, and what was typed in it. */
  refused?: { reasons: string[]; name?: string; kind?: string };
  status?: 200 | 201 | 400;
}

/**
 * The secret of a device just registered, shown once: it is in this POST's answer only (never in a URL or a
 * cookie; the console's answers are not cached), since printid keeps only its SHA-256.
 */
function NewDeviceCredentials(props: { base: string; device: DeviceClient; clientSecret: string }) {
  const { device } = props;
  return (
    <section class="msg" role="status" aria-labelledby="new-device">
      <p id="new-device"><strong>{device.name} is registered.</strong></p>
      <p>
        Enter its client id and secret in the device now. The secret will not be shown again: printid keeps only a hash of
        it. If it is lost, revoke the device and register it anew.
      </p>
      <dl class="facts">
        <dt>Client id</dt>
        <dd><code>{device.id}</code></dd>
        <dt>Client secret</dt>
        <dd><code>{props.clientSecret}</code></dd>
      </dl>
      <p class="below"><a href={`${props.base}/devices`}>Done: I have copied it</a></p>
    </section>
  );
}

/** A device's row: revoked ones stay listed, with when, so that an admin sees what was cut off. */
function DeviceRow(props: { base: string; device: DeviceClient }) {
  const { device } = props;
  return (
    <tr>
      <th scope="row" class="wrap">{device.name}</th>
      <td data-label="Kind">{kindLabels[device.kind]}</td>
      <td data-label="Client id" class="wrap"><code>{device.id}</code></td>
      <td data-label="Created"><Time at={device.createdAt} /></td>
      <td data-label="Last seen"><Time at={device.lastSeenAt} /></td>
      <td data-label="Status">
        {device.revokedAt ? (
          <>
            <span class="status deactivated">Revoked</span> <Time at={device.revokedAt} />
          </>
        ) : (
          <span class="status active">Active</span>
        )}
      </td>
      <td>
        {!device.revokedAt && (
          <a href={`${props.base}/devices/${device.id}/revoke`}>
            Revoke… <span class="vh">{device.name}</span>
          </a>
        )}
      </td>
    </tr>
  );
}

/** The page: what the request did (a revocation, a registration and its secret, a refusal), the form, the list. */
async function renderDevices(c: ConsoleContext, view: DevicesView) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const base = consolePath(tenant.slug);
  const devices = await listDevices(db, tenant.id, { limit: SHOWN + 1 });
  const shown = devices.slice(0, SHOWN);
  const named = view.revokedId ? await findDevice(db, tenant.id, view.revokedId) : undefined;
  const revoked = named?.revokedAt ? named : undefined;
  const typed: { name?: string; kind?: string } = view.refused ?? {};

  return c.html(
    <ConsolePage title="Devices" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="devices">
      <Message text={revoked && `${revoked.name} is revoked: its credentials no longer work, and every session it held has ended.`} />
      <Message text={view.refused && `No device was registered. ${view.refused.reasons.join(" ")}`} error />
      {view.registered && <NewDeviceCredentials base={base} {...view.registered} />}
      <form method="post" action={`${base}/devices`} class="card" aria-labelledby="register">
        <h2 id="register">Register a device</h2>
        <p class="hint">A printer, panel or desktop print client signs in to printid with the client id and secret it gets here.</p>
        <CsrfField token={csrfToken} />
        <div class="field">
          <label for="device-name">Name</label>
          <input type="text" id="device-name" name="name" value={typed.name ?? ""} required maxlength={MAX_DEVICE_NAME_LENGTH} aria-describedby="device-name-hint" />
          <span class="hint" id="device-name-hint">How admins and people approving it will recognise it, e.g. “Printer 2F, reception”.</span>
        </div>
        <div class="field">
          <label for="device-kind">Kind</label>
          <select id="device-kind" name="kind">
            {deviceKinds.map((kind) => (
              <option value={kind} selected={kind === typed.kind}>{kindLabels[kind]}</option>
            ))}
          </select>
        </div>
        <button type="submit">Register</button>
      </form>
      <div class="scroll">
        <table class="list">
          <caption>
            {devices.length > SHOWN
              ? `The newest ${SHOWN} devices; the admin API (GET /t/${tenant.slug}/admin/devices) pages through them all.`
              : "Devices, newest first. A revoked one stays listed."}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Client id</th>
              <th scope="col">Created</th>
              <th scope="col">Last seen</th>
              <th scope="col">Status</th>
              <th scope="col"><span class="vh">Action</span></th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colspan={7} class="muted">No devices yet.</td>
              </tr>
            )}
            {shown.map((device) => (
              <DeviceRow base={base} device={device} />
            ))}
          </tbody>
        </table>
      </div>
    </ConsolePage>,
    view.status ?? 200,
  );
}

/** GET /devices: the tenant's devices, and the form to register one. */
export function devicesPage(c: ConsoleContext) {
  const { revoked } = queryOf(c, DevicesQuery);
  return renderDevices(c, { revokedId: revoked });
}

/**
 * POST /devices: registers a device through the admin API's own function and answers the page itself, its
 * secret on it (no redirect: the secret must not travel in a URL). Refused, the page says why, as typed.
 */
export async function registerDeviceForm(c: ConsoleContext) {
  const form = await formOf(c, RegistrationForm, async (reasons) => {
    const { name, kind } = await formFields(c);
    return renderDevices(c, { refused: { reasons, name, kind }, status: 400 });
  });
  if (form instanceof Response) return form;
  const registered = await registerDevice(c.var.db, c.var.tenant.id, form);
  return renderDevices(c, { registered, status: 201 });
}
