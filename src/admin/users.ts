import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import { createUser } from "../accounts/create";
import { Email, PersonName, Username } from "../accounts/fields";
import { changeUser } from "../accounts/manage";
import { findUserWithIdentities, listUsers } from "../accounts/queries";
import { userView, UserView } from "../accounts/view";
import { hashPassword } from "../credentials/password";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import { roleNames } from "../db/schema";
import type { AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { TenantPath } from "../tenants/slug";
import { adminOnly } from "./admin-only";

const UserPath = TenantPath.extend({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
const Roles = z.array(z.enum(roleNames)).transform((roles) => [...new Set(roles)]);

/** The longest user search, in the API and the console alike. */
export const MAX_SEARCH_LENGTH = 100;

export const listUsersRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/admin/users",
  tags: ["Administration"],
  summary: "The tenant's users, newest first; `status=pending` lists registrations awaiting activation",
  ...adminOnly,
  request: {
    params: TenantPath,
    query: z.object({
      status: z.enum(["active", "inactive", "pending"]).optional(),
      q: z
        .string()
        .trim()
        .min(1)
        .max(MAX_SEARCH_LENGTH)
        .optional()
        .openapi({ description: "Found anywhere in the username, e-mail, first or last name; taken literally (`%` and `_` too), ASCII letters in any case" }),
      limit: PageLimit,
      cursor: cursorOf(z.tuple([z.number().int(), z.uuid()])).optional(),
    }),
  },
  responses: {
    200: jsonResponse("A page of users", z.object({ items: z.array(UserView), nextCursor: z.string().nullable() })),
    ...problems("validation_failed", "unauthorized", "forbidden"),
  },
});

export const listUsersHandler: RouteHandler<typeof listUsersRoute, AppEnv> = async (c) => {
  const { status, q, limit, cursor } = c.req.valid("query");
  const after = cursor ? { createdAt: cursor[0], id: cursor[1] } : undefined;
  const rows = await listUsers(c.var.db, c.var.tenant.id, { status, q, limit: limit + 1, after });
  const page = rows.slice(0, limit);
  const last = page.at(-1)?.user;
  return c.json(
    {
      items: page.map((row) => userView(row.user, row.identities)),
      nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.getTime(), last.id]) : null,
    },
    200,
  );
};

const CreateUserBody = z
  .object({
    username: Username,
    email: Email,
    firstName: PersonName.optional(),
    lastName: PersonName.optional(),
    password: NewPassword.optional(),
    roles: Roles.default([]),
    active: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
    const problem = body.password && passwordReuseProblem(body.password, body);
    if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
  })
  .openapi("CreateUser");

export const createUserRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/admin/users",
  tags: ["Administration"],
  summary: "Create a work account",
  ...adminOnly,
  request: { params: TenantPath, body: jsonBody(CreateUserBody) },
  responses: {
    201: jsonResponse("The new user", UserView),
    ...problems("validation_failed", "unauthorized", "forbidden", "account_exists"),
  },
});

export const createUserHandler: RouteHandler<typeof createUserRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const user = await createUser(
    c.var.db,
    c.var.tenant,
    {
      email: body.email,
      emailVerified: false,
      firstName: body.firstName ?? null,
      lastName: body.lastName ?? null,
      kind: "work",
      active: body.active,
      roles: body.roles,
      createdVia: "admin",
      passwordHash: body.password ? await hashPassword(body.password) : null,
    },
    { chosen: body.username },
  );
  return c.json(userView(user, []), 201);
};

export const getUserRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/admin/users/{id}",
  tags: ["Administration"],
  summary: "One user",
  ...adminOnly,
  request: { params: UserPath },
  responses: {
    200: jsonResponse("The user", UserView),
    ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
  },
});

export const getUserHandler: RouteHandler<typeof getUserRoute, AppEnv> = async (c) => {
  const found = await findUserWithIdentities(c.var.db, c.var.tenant.id, c.req.valid("param").id);
  if (!found) throw new AppError("not_found", { detail: "No such user in this tenant" });
  return c.json(userView(found.user, found.identities), 200);
};

const PatchUserBody = z
  .object({
    active: z.boolean(),
    roles: Roles,
    username: Username,
    firstName: PersonName.nullable(),
    lastName: PersonName.nullable(),
  })
  .partial()
  .strict()
  .openapi("PatchUser");

export const patchUserRoute = createRoute({
  method: "patch",
  path: "/t/{tenant}/admin/users/{id}",
  tags: ["Administration"],
  summary: "Activate or deactivate (ending their sessions), change roles, username or names",
  ...adminOnly,
  request: { params: UserPath, body: jsonBody(PatchUserBody) },
  responses: {
    200: jsonResponse("The user", UserView),
    ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "username_taken"),
  },
});

export const patchUserHandler: RouteHandler<typeof patchUserRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await changeUser(c.var.db, c.var.tenant, id, c.req.valid("json"));
  const found = await findUserWithIdentities(c.var.db, c.var.tenant.id, id);
  if (!found) throw new AppError("not_found");
  return c.json(userView(found.user, found.identities), 200);
};
