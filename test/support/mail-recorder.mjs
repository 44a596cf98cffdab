import { WorkerEntrypoint } from "cloudflare:workers";

/**
 * Test-only (vitest.config.ts binds it as `EMAIL` instead of Cloudflare Email Service): the
 * `send_email` binding's `send({ from, to, subject, text, html })`, recording each message instead of
 * delivering it, so that tests read what was sent; and failing on cue for one recipient, so that tests
 * see a failed delivery retried and then reported. One isolate serves every test file: each test reads
 * and scripts only its own recipients, so files running at once never meet.
 */
const sent = [];
/** Recipient → how many of its next sends fail. */
const failures = new Map();

export class MailRecorder extends WorkerEntrypoint {
  async send(message) {
    const to = typeof message.to === "string" ? message.to : message.to.email;
    const left = failures.get(to) ?? 0;
    if (left > 0) {
      failures.set(to, left - 1);
      throw new Error("Email Service stand-in: delivery failed on cue");
    }
    sent.push({ ...message, to });
    return { messageId: `<${crypto.randomUUID()}@mail-recorder.test>` };
  }

  /** Every message sent to `to` so far, oldest first. */
  sentTo(to) {
    return sent.filter((message) => message.to === to);
  }

  /** The next `count` sends to `to` fail. */
  failNext(to, count) {
    failures.set(to, count);
  }
}

export default { fetch: () => new Response("mail recorder", { status: 404 }) };
