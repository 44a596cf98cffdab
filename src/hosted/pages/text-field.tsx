import type { JSX } from "hono/jsx";

type InputAttributes = JSX.IntrinsicElements["input"];

export interface TextFieldProps extends Omit<InputAttributes, "id" | "name"> {
  /** The posted name, also the input's id and the `path` of its field errors. */
  name: string;
  label: string;
  /** The rule the value must follow, said before the person types. */
  hint?: string;
  /** The server's messages for this field, in English as given. */
  errors?: string[];
}

/**
 * A labelled input, its hint and its errors, both tied to it by aria-describedby so a screen reader
 * reads them with the field; a field in error is marked aria-invalid.
 */
export function TextField({ name, label, hint, errors = [], ...input }: TextFieldProps) {
  const hintId = hint ? `${name}-hint` : undefined;
  const errorId = errors.length > 0 ? `${name}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={name}>{label}</label>
      {hint && <p class="hint" id={hintId}>{hint}</p>}
      {errorId && (
        <p class="field-error" id={errorId} lang="en">
          {errors.join(" ")}
        </p>
      )}
      <input {...input} id={name} name={name} aria-describedby={describedBy} aria-invalid={errorId ? "true" : undefined} />
    </div>
  );
}
