import { AppError } from "../http/errors";
import type { ComposedMail } from "./compose";

/** What the mail room needs of the Worker's bindings (wrangler.toml `send_email` and `MAIL_FROM`). */
export interface MailBindings {
  /** Cloudflare Email Service; in the tests, a recorder (vitest.config.ts). */
  EMAIL: SendEmail;
  /** The region's sender address, of a domain onboarded to Email Service. */
  MAIL_FROM: string;
}

/** Tries of one message, and the pause before each retry: a passing fault is ridden out in about a second. */
const ATTEMPTS = 3;
const BACKOFF_MS = [200, 800];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one message from the region's sender in the tenant's name, retrying a failed send a few times.
 * When every try fails the caller gets `503 unavailable`: whatever the message proves stays stored (an
 * account token), so that asking again sends it again, and nothing of the account is lost.
 */
export async function sendMail(env: MailBindings, message: ComposedMail & { to: string; tenantName: string }): Promise<void> {
  const { to, tenantName, subject, text, html } = message;
  for (let attempt = 1; ; attempt++) {
    try {
      await env.EMAIL.send({ from: { name: tenantName, email: env.MAIL_FROM }, to, subject, text, html });
      return;
    } catch {
      if (attempt >= ATTEMPTS) {
        // The service's error may name the address: the log line says only what failed.
        throw new AppError("unavailable", {
          detail: "The message could not be sent. Try again in a minute.",
          headers: { "Retry-After": "60" },
          internal: `mail not sent after ${ATTEMPTS} attempts`,
        });
      }
      await sleep(BACKOFF_MS[attempt - 1]!);
    }
  }
}
