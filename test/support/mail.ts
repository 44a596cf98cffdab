import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { tenants } from "../../src/db/schema";
import { testEnv } from "./env";
import type { Region } from "./regions";

/** A message as the Worker handed it to `env.EMAIL.send` (test/support/mail-recorder.mjs kept it). */
export interface SentMail {
  from: { name: string; email: string };
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The test-only EMAIL binding (vitest.config.ts): Email Service's `send`, plus what the tests read and script. */
interface MailRecorder {
  sentTo(to: string): Promise<SentMail[]>;
  failNext(to: string, count: number): Promise<void>;
}

const recorder = testEnv.EMAIL as unknown as MailRecorder;

/** Every message sent to `to` so far, oldest first. */
export function mailTo(to: string): Promise<SentMail[]> {
  return recorder.sentTo(to);
}

/** The `count`-th message to `to` (1 = the first), waiting a little for one sent after the answer. */
export async function nthMailTo(to: string, count = 1): Promise<SentMail> {
  for (let waited = 0; ; waited += 50) {
    const sent = await recorder.sentTo(to);
    if (sent.length >= count) return sent[count - 1]!;
    if (waited > 3_000) throw new Error(`no message ${count} to ${to} (${sent.length} sent)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The next `count` sends to `to` fail, as a failing Email Service would. */
export function failNextMail(to: string, count: number): Promise<void> {
  return recorder.failNext(to, count);
}

/** The token of a message's link (`…?token=`) and the path it leads to. */
export function linkOf(mail: SentMail): { path: string; token: string } {
  const url = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
  return { path: url.pathname, token: url.searchParams.get("token")! };
}

/** The 6-digit code beside a confirmation link. */
export function codeOf(mail: SentMail): string {
  return /\b(\d{6})\b/.exec(mail.text)![1]!;
}

/** A new address no other test mails to: the recorder is shared by every test file. */
export function freshAddress(prefix = "person"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** The tenant's "E-mail confirmation required for login", straight in D1 (its admin API is tested in admin/settings). */
export async function requireEmailConfirmation(region: Region, tenantId: string, required = true): Promise<void> {
  await drizzle(region.db).update(tenants).set({ emailConfirmationRequired: required }).where(eq(tenants.id, tenantId));
}
