/** `2026-05-04 09:15:02 UTC`: one unambiguous clock for every admin, wherever they sit. */
export function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A moment on one line (the class keeps it whole), machine-readable in `datetime`; `never` when there is none. */
export function Time(props: { at: Date | null; never?: string }) {
  if (!props.at) return <span class="muted">{props.never ?? "never"}</span>;
  return <time class="nowrap" datetime={props.at.toISOString()}>{utc(props.at)}</time>;
}
