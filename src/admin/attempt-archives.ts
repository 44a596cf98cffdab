import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { archiveDownload, ArchivePartKey, listArchives } from "../audit/archive";
import { PageLimit } from "../http/cursor";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { pathParams, queryParams, validationFailed } from "../http/validation";

const ArchiveView = v.pipe(
  v.object({
    day: v.pipe(v.string(), v.description("The UTC day of the attempts, YYYY-MM-DD")),
    part: v.pipe(v.string(), v.description("The id of the part's first attempt; a day may have several parts")),
    size: v.pipe(v.number(), v.integer(), v.description("Compressed bytes")),
    uploadedAt: v.string(),
  }),
  v.metadata({ ref: "SignInAttemptArchive" }),
);

const ArchivesQuery = v.object({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(1024), v.description("`nextCursor` of the previous page"))),
  limit: PageLimit,
});


export const listSignInAttemptArchives = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "The tenant's archived sign-in attempts (past their retention), by day and part, oldest first",
    responses: {
      200: jsonResponse("A page of archives", v.object({ items: v.array(ArchiveView), nextCursor: v.nullable(v.string()) })),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  queryParams(ArchivesQuery),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    try {
      return c.json(await listArchives(c.env.ARCHIVE, c.var.tenant.id, { limit, cursor }), 200);
    } catch (error) {
      // R2 refuses a cursor it did not give out; without one, a failure is R2's own.
      if (cursor === undefined) throw error;
      throw validationFailed([{ path: "cursor", message: "Not a cursor this API gave out" }]);
    }
  },
);

export const downloadSignInAttemptArchive = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "One archived part: gzip-compressed JSON lines, one attempt a line, every column",
    responses: {
      200: {
        description: "The part, as stored",
        content: { "application/gzip": { schema: { type: "string", format: "binary" } } },
      },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(ArchivePartKey),
  (c) => archiveDownload(c.env.ARCHIVE, c.var.tenant, c.req.valid("param")),
);
