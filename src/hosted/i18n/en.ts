import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../credentials/password-policy";

/**
 * Every word of the hosted sign-in pages, in English. This catalogue is the reference: its shape is the
 * `Catalogue` type every other language must fill (fr.ts), so a missing or extra string is a type error.
 * Refusals are said the way a person understands them, never in the API's codes.
 */

/** What each refusal of a sign-in or registration means to the person (keys: the API's error codes). */
const refusals = {
  invalid_credentials: "The username, e-mail or password is not correct.",
  account_locked: "Too many failed attempts have locked this account for a while.",
  account_inactive: "This account is not active. Ask your administrator to activate it.",
  account_pending_activation: "This account awaits an administrator's activation. You will be able to sign in once it is active.",
  registration_disabled: "New accounts cannot be created here. Ask your administrator for one.",
  account_exists: "An account with this e-mail address or username already exists. Sign in instead.",
  username_taken: "This username is taken. Choose another one, or leave it empty.",
  external_auth_unavailable_for_existing_account:
    "An account with this e-mail address already exists. Sign in with its username or e-mail and password instead.",
  provider_error: "The sign-in with Apple, Google or Microsoft did not work. Try again, or sign in another way.",
  tenant_disabled: "Signing in here is disabled at the moment. Ask your administrator.",
  email_unverified: "Confirm your e-mail address first: open the link in the message we sent you, or enter its code.",
  password_change_required: "Your administrator set a temporary password: choose a new one to continue.",
  rate_limited: "Too many attempts in a short time.",
  unavailable: "The service is unavailable for a moment.",
  validation_failed: "Some of the information is not valid. See the fields below.",
  session_expired: "Your sign-in page expired. Please start again.",
  unusable_link: "This link cannot be used: it was already used, has expired, or was replaced by a newer one. Ask for a new one.",
  csrf: "This form could not be checked: it may be too old, or opened from another site. Please try again.",
  wrong_code: "The code is not correct. Check it and try again.",
  step_ended: "This verification took too long or had too many wrong codes. Please start again.",
  passkey_refused: "This passkey could not be used here. Try again, or use another way.",
};

/** Whatever brought the person here from an application that cannot be trusted: go back to it. */
const brokenLink =
  "The link that brought you here is broken. Go back to the application and start signing in again from there.";

export const en = {
  /** A refusal whose code the catalogue does not know; the server's detail follows it, as given. */
  unexpected: "Something went wrong.",
  refusals,
  /** After a refusal that passes with time (lockout, rate limit, unavailable). */
  retry: (seconds: number | undefined): string => {
    if (seconds === undefined) return "Try again later.";
    if (seconds < 60) return "Try again in less than a minute.";
    const minutes = Math.ceil(seconds / 60);
    return `Try again in ${minutes}\u00a0${minutes === 1 ? "minute" : "minutes"}.`;
  },
  /** Prefixed to a page's <title> when it shows a refusal, so screen readers hear it first. */
  errorTitle: (title: string) => `Error: ${title}`,
  /** Before a field's message in the error summary (the messages come from the server, in English). */
  fieldLabel: (label: string) => `${label}:`,
  continueTo: (clientName: string) => `to continue to ${clientName}`,

  signIn: {
    title: "Sign in",
    accountKinds: "Account type",
    work: "WORK ACCOUNT",
    personal: "PERSONAL ACCOUNT",
    login: "Username or e-mail",
    password: "Password",
    submit: "Sign in",
    or: "or",
    continueWith: (provider: string) => `Continue with ${provider}`,
    noAccount: "No account yet?",
    register: "Create an account",
    forgot: "Forgot your password?",
    passkey: "Sign in with a passkey",
  },
  /** What the passkey parts of every page say (they show only where the browser runs the passkey script). */
  passkeys: {
    failed: "No passkey was used. Try again, or use another way.",
  },
  /** The pages the links of printid's messages open: confirm an address, reset a password, accept an invitation. */
  account: {
    verify: {
      title: "Confirm your e-mail address",
      text: "Confirm that this address is yours to finish creating your account.",
      submit: "Confirm my address",
      done: "Your e-mail address is confirmed. You can now sign in from your application.",
    },
    forgot: {
      title: "Forgot your password?",
      text: "Enter your username or e-mail. If the account has a confirmed address, we send a link to choose a new password.",
      submit: "Send me a link",
      sent: "If this account has a confirmed address, a message with a link is on its way. The link works for 30 minutes.",
      back: "Back to sign-in",
    },
    reset: {
      title: "Choose a new password",
      text: "Your new password ends every open session of your account.",
      password: "New password",
      secondFactor: "Your account has two-step verification: type your new password again, with a code from your authenticator app or your e-mail, or a recovery code.",
      submit: "Change my password",
      done: "Your password is changed. Sign in again from your application.",
    },
    invitation: {
      title: "Welcome",
      text: (tenantName: string) => `You are invited to ${tenantName}. Choose a password for your account.`,
      password: "Password",
      submit: "Set my password",
      done: "Your account is ready. Sign in from your application.",
    },
  },
  register: {
    title: "Create an account",
    email: "E-mail",
    password: "Password",
    passwordRule: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    firstName: "First name",
    lastName: "Last name (optional)",
    username: "Username (optional)",
    usernameRule: "Letters, digits, '.', '_' and '-'. Left empty, one is made for you.",
    submit: "Create the account",
    haveAccount: "Already have an account?",
    signIn: "Sign in",
  },
  pendingActivation: {
    title: "Account created",
    text: "Your account was created and awaits an administrator's activation. You will be able to sign in once it is active.",
    account: "Account:",
    signIn: "Back to sign-in",
  },
  /** After a registration where the tenant requires the address to be confirmed (rule E). */
  checkEmail: {
    title: "Confirm your e-mail address",
    text: "Your account was created. We sent you a message: follow its link, or enter its code, to confirm your address. Then sign in.",
    account: "Sent to:",
    signIn: "Back to sign-in",
  },
  /** The second step of a sign-in (rule M), and a change of the person's factors that asks for a fresh one. */
  secondStep: {
    title: "Two-step verification",
    app: "Enter the code your authenticator app shows.",
    appOrEmail: "Enter the code your authenticator app shows, or get one by e-mail.",
    email: "Get a code by e-mail, then enter it here.",
    recoveryOnly: "Enter one of your recovery codes.",
    passkeyOnly: "Use your passkey, or enter one of your recovery codes.",
    usePasskey: "Use a passkey",
    code: "Code",
    codeHint: "6 digits",
    remember: (days: number) => `Remember this device for ${days}\u00a0${days === 1 ? "day" : "days"}`,
    verify: "Verify",
    sendEmail: "Send me a code by e-mail",
    emailSent: "We sent a code to your e-mail address. It works for 10 minutes.",
    useRecovery: "Use a recovery code",
    recoveryCode: "Recovery code",
    recoveryHint: "One of the codes you saved when you set up two-step verification. Each works once.",
    verifyRecovery: "Verify with this recovery code",
    startAgain: "Start again",
    otherAccount: "Sign in as someone else",
  },
  /** Setting up a first factor within the sign-in that asks for one, and on the account's page. */
  setUp: {
    title: "Set up two-step verification",
    text: "Your organisation asks for a second step when you sign in: a code from an app on your phone, or one sent by e-mail. Set one up to continue.",
    totp: "Use an authenticator app",
    email: "Receive codes by e-mail",
    none: "No second step can be set up for your account here. Ask your administrator.",
    totpTitle: "Set up your authenticator app",
    totpSteps: "Scan this QR code with your authenticator app, or type the key into it. Then enter the 6-digit code the app shows.",
    qr: "QR code for your authenticator app",
    key: "Key",
    firstCode: "Code from the app",
    confirm: "Confirm",
  },
  recoveryCodes: {
    title: "Save your recovery codes",
    text: "If you lose your phone or cannot get codes, each of these codes signs you in once. Keep them somewhere safe: they are shown only this once.",
    list: "Your recovery codes",
    continue: "Continue",
  },
  /** The account's page of second factors, for a person signed in in this browser. */
  factors: {
    title: "Second factors",
    signInFirst: "Sign in to this service in this browser first, then open this page again.",
    required: "Your organisation requires a second factor for your account.",
    optional: "A second factor is optional: once you set one up, it is asked for every time you sign in.",
    off: "Your organisation does not use second factors.",
    yours: "Your factors",
    none: "You have not set up a second factor yet.",
    types: { totp: "Authenticator app", email: "Codes by e-mail", passkey: "Passkey" },
    since: (date: string) => `Set up on ${date}`,
    lastUsed: (date: string) => `Last used on ${date}`,
    remove: (name: string) => `Remove ${name.toLowerCase()}`,
    removePasskey: (name: string) => `Remove the passkey "${name}"`,
    keepOne: "Your organisation requires a second factor: set up another one before you remove this one.",
    add: "Add a factor",
    addTotp: "Set up an authenticator app",
    addEmail: "Receive codes by e-mail",
    emailNeedsAddress: "Codes by e-mail need a confirmed e-mail address.",
    addPasskey: "Add a passkey",
    passkeyName: "Name of the passkey",
    passkeyNameHint: "To tell your passkeys apart, such as \"Work laptop\".",
    passkeyReady: "Confirmed. Now add your passkey.",
    recovery: "Recovery codes",
    recoveryLeft: (count: number) => (count === 1 ? "1 recovery code left." : `${count} recovery codes left.`),
    newRecovery: "Get new recovery codes",
    newRecoveryHint: "New codes replace the ones you have.",
    confirmTitle: "Confirm it's you",
    confirmText: "Use one of your second factors to make this change.",
    done: { totp: "Your authenticator app is set up.", email: "Codes by e-mail are set up.", passkey: "Your passkey is added.", removed: "The factor was removed." },
    back: "Back to your second factors",
    signOut: "Sign out",
  },
  continueAs: {
    title: "Choose an account",
    continueAs: (displayName: string) => `Continue as ${displayName}`,
    other: "Use another account",
  },
  signedOut: {
    title: "Signed out",
    text: (tenantName: string) => `Your ${tenantName} session has ended on this device.`,
    back: "Return to the application",
  },
  logoutConfirm: {
    question: (tenantName: string) => `Sign out of ${tenantName}?`,
    asks: (clientName: string) => `${clientName} asks to sign you out.`,
    text: "If you did not ask for this, you may simply close this page.",
    submit: "Sign out",
  },
  /** The page at a device's verification_uri (RFC 8628 §3.3). */
  device: {
    title: "Sign in a device",
    signInFirst: "Sign in to this service in this browser first, or scan the device's code with the signed-in app.",
    codeLabel: "Code shown on the device",
    codeHint: "8 letters, such as BCDF-GHJK",
    next: "Continue",
    unknownCode: "This code is not valid or has expired. Check it on the device, or start again there.",
    kinds: { printer: "printer", panel: "printer panel", desktop: "desktop client" },
    asks: (name: string, kind: string, person: string) => `The ${kind} ${name} asks to be signed in as ${person}.`,
    approve: "Sign it in",
    deny: "Refuse",
    approved: (name: string) => `${name} is signed in. You may close this page.`,
    denied: (name: string) => `${name} was refused and is not signed in.`,
  },
  /** The pages shown instead of any sign-in; keys: the codes of `ErrorPage`. */
  errorPages: {
    invalid_client: { title: "Unknown application", text: brokenLink },
    invalid_redirect_uri: { title: "This link cannot be used", text: brokenLink },
    invalid_request: { title: "This link is incomplete", text: brokenLink },
    tenant_not_found: {
      title: "Tenant not found",
      text: "No tenant of this name exists here. Check the tenant's name in the application and try again.",
    },
    tenant_disabled: { title: "Sign-in unavailable", text: refusals.tenant_disabled },
    server_error: {
      title: "Something went wrong",
      text: "Something went wrong on our side. Go back to the application and try again in a moment.",
    },
    csrf: { title: "This form could not be checked", text: refusals.csrf },
    session_expired: { title: "This page has expired", text: refusals.session_expired },
  },
  /** Shown under an error page's explanation, for whoever debugs the application. */
  technicalDetail: "Technical detail:",
  back: "Go back",
};

export type Catalogue = typeof en;
