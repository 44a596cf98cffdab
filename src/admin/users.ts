import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { createUser as createAccount } from "../accounts/create";
import { mailInvitation } from "../accounts/invitations";
import { Email, PersonName, Username } from "../accounts/fields";
import { changeUser } from "../accounts/manage";
import { findUserWithIdentities, listUsers as queryUsers } from "../accounts/queries";
import { userView, UserView } from "../accounts/view";
import { hashPassword } from "../credentials/password";
import { setPasswordByAdmin } from "../credentials/temporary-password";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import { roleNames } from "../db/schema";
import { scopeOf } from "../http/context";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, jsonBody, pathParams, queryParams } from "../http/validation";
import { requestLocale } from "../mail/proof";

const Roles = v.pipe(v.array(v.picklist(roleNames)), v.transform((roles) => [...new Set(roles)]));

/** The longest user search, in the API and the console alike. */
export const MAX_SEARCH_LENGTH = 100;

const UsersQuery = v.object({
  status: v.optional(v.picklist(["active", "inactive", "pending"])),
  q: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.minLength(1),
      v.maxLength(MAX_SEARCH_LENGTH),
      v.description("Found anywhere in the username, e-mail, first or last name; taken literally (`%` and `_` too), ASCII letters in any case"),
    ),
  ),
  limit: PageLimit,
  cursor: v.optional(cursorOf(v.strictTuple([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.uuid())]))),
});

export const listUsers = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "The tenant's users, newest first; `status=pending` lists registrations awaiting activation",
    responses: {
      200: jsonResponse("A page of users", v.object({ items: v.array(UserView), nextCursor: v.nullable(v.string()) })),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  queryParams(UsersQuery),
  async (c) => {
    const { status, q, limit, cursor } = c.req.valid("query");
    const after = cursor ? { createdAt: cursor[0], id: cursor[1] } : undefined;
    const { items, resumeAfter } = await queryUsers(c.var.db, c.var.tenant.id, { status, q, limit, after });
    return c.json(
      {
        items: items.map((row) => userView(row.user, row.identities)),
        nextCursor: resumeAfter ? encodeCursor([resumeAfter.createdAt, resumeAfter.id]) : null,
      },
      200,
    );
  },
);

const CreateUserBody = v.pipe(
  v.object({
    username: Username,
    email: Email,
    firstName: v.optional(PersonName),
    lastName: v.optional(PersonName),
    password: v.optional(NewPassword),
    roles: v.optional(Roles, []),
    active: v.optional(v.boolean(), true),
    invite: v.optional(
      v.pipe(v.boolean(), v.description("Mail the user an invitation to choose their password (\"Send activation email\"); only without `password`")),
      false,
    ),
  }),
  v.forward(
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const body = dataset.value;
      const problem = body.password && passwordReuseProblem(body.password, body);
      if (problem) addIssue({ message: problem });
      if (body.password && body.invite) addIssue({ message: "An invited user chooses their own password: leave it out, or do not invite" });
    }),
    ["password"],
  ),
  v.metadata({ ref: "CreateUser" }),
);

export const createUser = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Create a work account",
    responses: {
      201: jsonResponse("The new user (with `invite`, mailed an invitation)", UserView),
      ...problems("validation_failed", "unauthorized", "forbidden", "account_exists", "unavailable"),
    },
  }),
  jsonBody(CreateUserBody),
  async (c) => {
    const body = c.req.valid("json");
    const user = await createAccount(
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
    // The user exists even when the message cannot be sent (503): POST …/invitation sends it again.
    if (body.invite) await mailInvitation(scopeOf(c), c.var.tenant, user.id, requestLocale(c));
    return c.json(userView(user, []), 201);
  },
);

export const getUser = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "One user",
    responses: {
      200: jsonResponse("The user", UserView),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const found = await findUserWithIdentities(c.var.db, c.var.tenant.id, c.req.valid("param").id);
    if (!found) throw new AppError("not_found", { detail: "No such user in this tenant" });
    return c.json(userView(found.user, found.identities), 200);
  },
);

const PatchUserBody = v.pipe(
  v.partial(
    v.strictObject({
      active: v.boolean(),
      roles: Roles,
      username: Username,
      firstName: v.nullable(PersonName),
      lastName: v.nullable(PersonName),
      password: v.pipe(NewPassword, v.description("A new password; every session of the user ends")),
      mustChangePassword: v.pipe(
        v.boolean(),
        v.description("With password: the user must choose their own at next sign-in (403 password_change_required until then)"),
      ),
    }),
  ),
  v.forward(
    v.check((body) => body.mustChangePassword === undefined || body.password !== undefined, "Only with a new password"),
    ["mustChangePassword"],
  ),
  v.metadata({ ref: "PatchUser" }),
);

export const patchUser = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Activate or deactivate (ending their sessions), change roles, username or names, or set a password (ending their sessions)",
    responses: {
      200: jsonResponse("The user", UserView),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "username_taken"),
    },
  }),
  pathParams(IdPath),
  jsonBody(PatchUserBody),
  async (c) => {
    const { id } = c.req.valid("param");
    const { password, mustChangePassword = false, ...changes } = c.req.valid("json");
    const changed = await changeUser(c.var.db, c.var.tenant, id, changes);
    if (password !== undefined) await setPasswordByAdmin(c.var.db, changed, password, mustChangePassword);
    const found = await findUserWithIdentities(c.var.db, c.var.tenant.id, id);
    if (!found) throw new AppError("not_found");
    return c.json(userView(found.user, found.identities), 200);
  },
);

export const sendInvitation = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Mail a user without a password an invitation to choose one (7 days, single use; a newer one replaces it)",
    description: "In the language of `ui_locales` or Accept-Language. Accepting it (POST /t/{tenant}/invitation/accept) sets the password and confirms the address; the account stays as active as it is.",
    responses: {
      202: { description: "Sent" },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "unavailable"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    await mailInvitation(scopeOf(c), c.var.tenant, c.req.valid("param").id, requestLocale(c));
    return c.body(null, 202);
  },
);
