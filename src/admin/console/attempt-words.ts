import { errorTitle, type ErrorCode } from "../../http/errors";

/**
 * A sign-in attempt's outcome code (rule L) in words. The console's own for the codes people meet most;
 * any other is the API's title for it (errors.ts), so a code added there reads as words here too.
 */
const outcomes: Partial<Record<ErrorCode, string>> = {
  invalid_credentials: "Wrong login or password",
  account_inactive: "Account not active",
  account_pending_activation: "Awaiting activation",
  account_locked: "Account locked",
  forbidden: "Refused: not an administrator",
  rate_limited: "Too many attempts at once",
  unavailable: "Service unavailable",
  email_unverified: "E-mail not confirmed",
  password_change_required: "Must change password",
  registration_disabled: "Registration closed",
  external_auth_unavailable_for_existing_account: "Provider not allowed for this account",
  provider_error: "Provider error",
};

export function outcomeText(code: string | null): string {
  if (code === null) return "Success";
  return outcomes[code as ErrorCode] ?? errorTitle[code as ErrorCode] ?? code;
}

const methods: Record<string, string> = { password: "Password", apple: "Apple", google: "Google", microsoft: "Microsoft" };

export function methodText(method: string): string {
  return methods[method] ?? method;
}

/** Browsers and systems, most specific first (Edge and Opera also say Chrome; Chrome also says Safari). */
const browsers: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/OPR\/(\d+)/, "Opera"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/(?:Chrome|CriOS)\/(\d+)/, "Chrome"],
  [/Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
];
const systems: [RegExp, string][] = [
  [/iPhone|iPad/, "iOS"],
  [/Android/, "Android"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

const SHORT = 28;

/**
 * A user agent short enough for a table cell: `Chrome 126 · Windows` for a browser, else its first
 * characters (an app's own, such as `PrintApp/1.0`, usually fits whole). The page puts the whole in a title.
 */
export function shortUserAgent(userAgent: string): string {
  const browser = browsers.find(([pattern]) => pattern.test(userAgent));
  if (browser) {
    const version = browser[0].exec(userAgent)?.[1];
    const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
    return [`${browser[1]} ${version}`, system].filter(Boolean).join(" · ");
  }
  return userAgent.length > SHORT ? `${userAgent.slice(0, SHORT - 1)}…` : userAgent;
}
