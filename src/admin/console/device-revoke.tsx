import { findDevice, revokeDevice, type DeviceClient } from "../../devices/device-clients";
import { AppError } from "../../http/errors";
import { sessionCsrfToken } from "./csrf";
import { kindLabels } from "./devices";
import { consolePath, type ConsoleContext } from "./env";
import { ConsolePage, CsrfField } from "./layout";
import { Time } from "./time";
import { uuidParam } from "./user-path";

const noSuchDevice = () => new AppError("not_found", { detail: "There is no such device in this tenant." });

/** The device `/devices/{id}/…` names, in this tenant only (rule T); any other id is the console's 404 page. */
async function deviceOfPath(c: ConsoleContext): Promise<DeviceClient> {
  const id = uuidParam(c, "id");
  const device = id ? await findDevice(c.var.db, c.var.tenant.id, id) : undefined;
  if (!device) throw noSuchDevice();
  return device;
}

/**
 * GET /devices/{id}/revoke: what revoking does, and a button to confirm it (no script, so no dialog); Cancel
 * goes back to the list. A device already revoked says since when instead.
 */
export async function revokeDevicePage(c: ConsoleContext) {
  const { tenant, principal } = c.var;
  const device = await deviceOfPath(c);
  const csrfToken = await sessionCsrfToken(c);
  const base = consolePath(tenant.slug);
  const cancel = `${base}/devices`;

  return c.html(
    <ConsolePage title={`Revoke ${device.name}?`} base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="devices">
      {device.revokedAt ? (
        <p>
          {device.name} was revoked <Time at={device.revokedAt} />. <a href={cancel}>Back</a>
        </p>
      ) : (
        <form method="post" action={`${base}/devices/${device.id}/revoke`} class="card">
          <CsrfField token={csrfToken} />
          <p>
            {device.name} ({kindLabels[device.kind].toLowerCase()}, client id <code class="wrap">{device.id}</code>) will no
            longer get into printid: its credentials stop working at once, and every session it holds ends, so whoever is signed
            in on it is signed out. This cannot be undone: to use the device again, register it anew and enter the new
            credentials in it.
          </p>
          <div class="actions">
            <button type="submit">Revoke {device.name}</button>
            <a href={cancel}>Cancel</a>
          </div>
        </form>
      )}
    </ConsolePage>,
  );
}

/**
 * POST /devices/{id}/revoke: through the devices module's own function (the device's credentials and every
 * session it holds end together), then back to the list, which says so. Another tenant's device, or none,
 * is the console's 404 page and nothing changes.
 */
export async function revokeDeviceForm(c: ConsoleContext) {
  const { tenant, db } = c.var;
  const id = uuidParam(c, "id");
  if (!id || !(await revokeDevice(db, tenant.id, id))) throw noSuchDevice();
  return c.redirect(`${consolePath(tenant.slug)}/devices?${new URLSearchParams({ revoked: id })}`, 303);
}
