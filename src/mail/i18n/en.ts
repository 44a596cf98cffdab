/**
 * Every word of printid's e-mail messages, in English. As with the hosted pages (src/hosted/i18n), this
 * catalogue is the reference: its shape is the `MailCatalogue` every other language fills (fr.ts). Each
 * message is one kind of proof: what it is for, the button that uses it, how long it lasts, and what to do
 * when it was not asked for. A message is always in the tenant's name, never printid's.
 */
export const en = {
  verifyEmail: {
    subject: (tenantName: string) => `Confirm your e-mail address for ${tenantName}`,
    lead: (tenantName: string) => `Please confirm that this address is yours to finish creating your ${tenantName} account.`,
    action: "Confirm my e-mail address",
    expiry: "The link and the code work once, within 48 hours.",
    notAsked: "If you did not create this account, ignore this message: the account will be removed.",
  },
  resetPassword: {
    subject: (tenantName: string) => `Reset your ${tenantName} password`,
    lead: (tenantName: string) => `Someone asked to reset the password of your ${tenantName} account. Choose a new password with this link.`,
    action: "Choose a new password",
    expiry: "The link works once, within 30 minutes. Every device signed in to your account will be signed out.",
    notAsked: "If you did not ask for this, ignore this message: your password stays as it is.",
  },
  invitation: {
    subject: (tenantName: string) => `You are invited to ${tenantName}`,
    lead: (tenantName: string) => `An administrator of ${tenantName} created an account for you. Choose your password to start using it.`,
    action: "Accept the invitation",
    expiry: "The link works once, within 7 days.",
    notAsked: "If you did not expect this, ignore this message.",
  },
  /** Not a proof: the PIN an admin gave the person (issue 15), the one time it is shown. */
  pin: {
    subject: (tenantName: string) => `Your new PIN for the printers of ${tenantName}`,
    lead: (tenantName: string) => `An administrator of ${tenantName} gave you a new PIN to sign in at its printers:`,
    keep: "Keep it to yourself: it signs you in. Your previous PIN no longer works, and you can get a new one in the app at any time.",
  },
  /** Not a proof: the code of a sign-in's second step (issue 16), to type where the sign-in waits. */
  signInCode: {
    subject: (tenantName: string) => `Your ${tenantName} sign-in code`,
    lead: (tenantName: string) => `Someone signing in to your ${tenantName} account asked for this code. Type it where the sign-in waits:`,
    keep: "It works once, within 10 minutes. If you are not signing in, someone else knows your password: change it.",
  },
  /** Beside the link, for a person who would rather type than follow it. */
  code: (code: string) => `Or enter this code: ${code}`,
  /** Under the button of the HTML message, for a mail reader that shows no button. */
  linkFallback: "If the button does not work, open this address:",
};

export type MailCatalogue = typeof en;
