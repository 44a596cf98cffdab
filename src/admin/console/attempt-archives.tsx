import * as v from "valibot";
import { archiveDownload, archiveFilename, ArchivePartKey, listArchives } from "../../audit/archive";
import { fieldErrors, validationFailed } from "../../http/validation";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { queryOf } from "./forms";
import { ConsolePage } from "./layout";
import { Time } from "./time";

const PAGE_SIZE = 50;

const ArchivesQuery = v.object({ cursor: v.optional(v.pipe(v.string(), v.maxLength(1024))) });

/** `48.2 kB`: sizes as people read them. */
function sizeOf(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** GET /sign-in-attempts/archives: the tenant's archived attempts, by day and part, each a download. */
export async function archivesPage(c: ConsoleContext) {
  const { tenant, principal } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const { cursor } = queryOf(c, ArchivesQuery);
  const { items, nextCursor } = await listArchives(c.env.ARCHIVE, tenant.id, { limit: PAGE_SIZE, cursor }).catch((error: unknown) => {
    if (cursor === undefined) throw error;
    throw validationFailed([{ path: "cursor", message: "This link's page does not exist." }], "This link is not valid");
  });
  const base = consolePath(tenant.slug);

  return c.html(
    <ConsolePage title="Archived sign-in attempts" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="attempts">
      <p>
        Attempts older than {tenant.attemptRetentionDays} days, or beyond the newest {tenant.attemptCap.toLocaleString("en-US")}, are moved
        here before they are deleted: one file per day, in parts
        when a day has many, each a gzip-compressed JSON-lines file (one attempt a line). <a href={`${base}/sign-in-attempts`}>Back to recent attempts</a>
      </p>
      <div class="scroll">
        <table class="list">
          <caption>Archives, oldest day first.</caption>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Part</th>
              <th scope="col">Size</th>
              <th scope="col">Archived</th>
              <th scope="col">Download</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 && (
              <tr>
                <td colspan={5} class="muted">No archived attempts yet.</td>
              </tr>
            )}
            {items.map((item) => (
              <tr>
                <td data-label="Day (UTC)"><time datetime={item.day}>{item.day}</time></td>
                <td data-label="Part">{item.part}</td>
                <td data-label="Size">{sizeOf(item.size)}</td>
                <td data-label="Archived"><Time at={new Date(item.uploadedAt)} /></td>
                <td>
                  <a
                    href={`${base}/sign-in-attempts/archives/${item.day}/${item.part}`}
                    download={archiveFilename(tenant.slug, item.day, item.part)}
                    aria-label={`Download ${item.day}, part ${item.part}`}
                  >
                    Download
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nextCursor && (
        <p class="pager">
          <a href={`${base}/sign-in-attempts/archives?cursor=${encodeURIComponent(nextCursor)}`} rel="next">Next page</a>
        </p>
      )}
    </ConsolePage>,
  );
}

/** GET /sign-in-attempts/archives/:day/:part: one part, as a file to save. Only this tenant's (rule T). */
export async function downloadArchive(c: ConsoleContext) {
  const { tenant } = c.var;
  const params = v.safeParse(ArchivePartKey, { day: c.req.param("day"), part: c.req.param("part") });
  if (!params.success) throw validationFailed(fieldErrors(params.issues), "There is no such archive.");
  return archiveDownload(c.env.ARCHIVE, tenant, params.output);
}
