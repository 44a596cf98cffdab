import type { Child } from "hono/jsx";
import type { Catalogue } from "../i18n";
import { ErrorSummary, fieldErrorsOf, type PageError } from "./error-summary";
import { HiddenFields } from "./layout";
import { TextField, type TextFieldProps } from "./text-field";

export interface FieldFormProps {
  m: Catalogue;
  /** The refusal of the last post of this form, summarised above it and shown at each field it names. */
  error?: PageError;
  action: string;
  hidden: Record<string, string>;
  /** In their order on the page, which is also the focus order. */
  fields: TextFieldProps[];
  submit: string;
  /** More of the form after its fields (a disclosure of other fields), before its button. */
  more?: Child;
}

/** A form of text fields that posts back here, with the summary of its last refusal above it. */
export function FieldForm(props: FieldFormProps) {
  return (
    <>
      <ErrorSummary m={props.m} error={props.error} fields={props.fields} />
      <form method="post" action={props.action}>
        <HiddenFields fields={props.hidden} />
        {props.fields.map((field) => (
          <TextField {...field} errors={fieldErrorsOf(props.error, field.name)} />
        ))}
        {props.more}
        <button type="submit">{props.submit}</button>
      </form>
    </>
  );
}
