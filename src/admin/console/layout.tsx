import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { CSRF_FIELD } from "./csrf";

/** Plain HTML, no script: the whole console works with JavaScript off. One small stylesheet, inline. */
const style = `
:root{color-scheme:light;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
body{margin:0}
a{color:#0b57d0}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem .5rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1.5rem;background:#fff;border-bottom:1px solid #d8dce2}
header .brand{font-weight:700;margin-right:auto}
header .brand span{font-weight:400;color:#57606a}
header form{display:flex;gap:.6rem;align-items:center}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;color:inherit;text-decoration:none}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
main.narrow{max-width:26rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
.msg{padding:.6rem 1rem;border-radius:6px;border:1px solid #9bd3ae;background:#e9f7ee;margin:0 0 1rem}
.msg.error{border-color:#f1a8a8;background:#fdecec}
.card{background:#fff;border:1px solid #d8dce2;border-radius:8px;padding:1rem 1.25rem;margin:0 0 1rem}
.field{margin:0 0 1rem}
.field label{display:block;font-weight:600;margin-bottom:.2rem}
input[type=text],input[type=password],input[type=search],input[type=number],select{font:inherit;padding:.4rem .55rem;border:1px solid #8c959f;border-radius:4px;width:100%;box-sizing:border-box;background:#fff}
input[type=number]{width:9rem}
.check{display:flex;gap:.6rem;align-items:flex-start;margin:0 0 1rem}
.check input{margin-top:.35rem;width:1.1rem;height:1.1rem}
.check label{font-weight:600}
.hint{display:block;color:#57606a;font-size:.9rem;font-weight:400}
button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}
button.link{border:0;background:none;color:#0b57d0;padding:0;text-decoration:underline}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:end;margin:0 0 1rem}
.toolbar ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
.toolbar form{display:flex;gap:.5rem;align-items:end}
.toolbar .field{margin:0}
.toolbar input[type=search]{width:18rem;max-width:100%}
.toolbar select{width:auto}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d8dce2;border-radius:8px}
table{border-collapse:collapse;width:100%}
caption{text-align:left;padding:.6rem .75rem;color:#57606a}
th,td{text-align:left;padding:.45rem .75rem;border-top:1px solid #e3e6ea;vertical-align:middle}
thead th{background:#f0f2f5;white-space:nowrap}
th{font-weight:600}
td form{margin:0}
.status{white-space:nowrap;font-weight:600}
.status.pending{color:#8a5300}.status.active{color:#1a7f37}.status.deactivated{color:#a40e26}
.muted{color:#57606a}
.pager{margin:1rem 0}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.nowrap{white-space:nowrap}
.wrap{overflow-wrap:break-word}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions form{margin:0}
.below{margin-top:.75rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:700;font-size:1.1rem;margin-bottom:.5rem}
h2{font-size:1.15rem;margin:1.5rem 0 .75rem}
.alert{padding:.6rem 1rem;border-radius:6px;border:1px solid #f1a8a8;background:#fdecec;margin:0 0 1rem}
.alert p{margin:0}
.notice{padding:.6rem 1rem;border-radius:6px;border:1px solid #9bd3ae;background:#e9f7ee}
.field-error{color:#a40e26;font-weight:600;margin:0 0 .2rem}
main.narrow form{margin:0 0 .75rem}
details{margin:0 0 1rem}
summary{color:#0b57d0;cursor:pointer;padding:.4rem 0}
.qr{max-width:14rem;margin:0 auto 1rem}
.qr svg{display:block;width:100%;height:auto}
.key{overflow-wrap:anywhere;word-spacing:.2em}
.codes{display:grid;grid-template-columns:repeat(auto-fill,minmax(8rem,1fr));gap:.25rem 1rem;list-style:none;padding:0}
/* A phone: the header stacks, and a table of class list becomes one card per row, each cell labelled. */
@media (max-width:40rem){
header{padding:.6rem 1rem}
main{padding:1rem 1rem 3rem}
.toolbar form{flex-wrap:wrap}
.toolbar input[type=search]{width:100%}
dl.facts{grid-template-columns:1fr}
dl.facts dd{margin-bottom:.5rem}
.scroll{overflow-x:visible;background:none;border:0}
table.list,table.list tbody,table.list tr,table.list td,table.list th{display:block}
table.list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.list caption{display:block;padding:0 0 .5rem}
table.list tr{background:#fff;border:1px solid #d8dce2;border-radius:8px;margin:0 0 .75rem;padding:.5rem .75rem}
table.list td,table.list tbody th{border:0;padding:.15rem 0;overflow-wrap:anywhere}
table.list td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#57606a}
}
`;

/** The HTML document around every console page. */
export function Document(props: { title: string; children: Child }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.title} · printid console</title>
          <style>{raw(style)}</style>
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

export type Section = "users" | "devices" | "settings" | "attempts";

const sections: { id: Section; path: string; label: string }[] = [
  { id: "users", path: "/users", label: "Users" },
  { id: "devices", path: "/devices", label: "Devices" },
  { id: "settings", path: "/settings", label: "Settings" },
  { id: "attempts", path: "/sign-in-attempts", label: "Sign-in attempts" },
];

export interface ConsolePageProps {
  title: string;
  /** The console's path prefix, `/t/{tenant}/console`. */
  base: string;
  tenantName: string;
  /** Who is signed in, shown beside the sign-out button. */
  username: string;
  csrf: string;
  current: Section;
  children: Child;
}

/** A signed-in page: the tenant, the sections, sign-out, then the page's own content in <main>. */
export function ConsolePage(props: ConsolePageProps) {
  return (
    <Document title={props.title}>
      <a class="skip" href="#main">Skip to content</a>
      <header>
        <div class="brand">
          {props.tenantName} <span>· Administration</span>
        </div>
        <nav aria-label="Console">
          <ul>
            {sections.map((section) => (
              <li>
                <a href={props.base + section.path} aria-current={section.id === props.current ? "page" : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="post" action={`${props.base}/sign-out`}>
          <CsrfField token={props.csrf} />
          <span class="muted">{props.username}</span>
          <button type="submit" class="secondary">Sign out</button>
        </form>
      </header>
      <main id="main">
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

/** A page outside a session (sign-in, refusals): just a heading and its content. */
export function BarePage(props: { title: string; heading?: string; children: Child }) {
  return (
    <Document title={props.title}>
      <main id="main" class="narrow">
        <h1>{props.heading ?? props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A one-line outcome: `status` for news, `alert` for a refusal, so screen readers announce it. */
export function Message(props: { text?: string; error?: boolean }) {
  if (!props.text) return null;
  return props.error ? (
    <p class="msg error" role="alert">{props.text}</p>
  ) : (
    <p class="msg" role="status">{props.text}</p>
  );
}
