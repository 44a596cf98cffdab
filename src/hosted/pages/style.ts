/**
 * The hosted pages' colours. Every text colour meets WCAG's 4.5:1 on the background it is used on, and the
 * field borders and focus ring 3:1 (test/hosted/pages.test.ts computes both from these values).
 */
export const palette = {
  text: "#1b1f24",
  muted: "#57606a",
  /** Links, the primary button, the current account tab and the focus ring. */
  accent: "#0b57d0",
  onAccent: "#ffffff",
  surface: "#ffffff",
  page: "#f6f7f9",
  error: "#a40e26",
  errorSurface: "#fdecec",
  /** Borders a person must see to find a field. */
  field: "#6e7781",
  /** Decorative lines only (card edge, tab rule, "or" divider): no contrast needed. */
  line: "#d0d7de",
} as const;

const p = palette;

/**
 * The one stylesheet, inline (the CSP allows `style-src 'unsafe-inline'` and nothing external). One
 * column, full-width controls of at least 44 px and 16 px text (no zoom on phones); on a wide screen the
 * column is a card in the middle of the page.
 */
export const stylesheet = `
[hidden]{display:none!important}
:root{color-scheme:light;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${p.text};background:${p.page}}
body{margin:0;padding:2rem 1rem}
.page{max-width:26rem;margin:0 auto;background:${p.surface};border:1px solid ${p.line};border-radius:12px;padding:1.5rem}
@media (max-width:30rem){:root{background:${p.surface}}body{padding:0}.page{border:0;border-radius:0;padding:1.25rem 1rem}}
.tenant{font-weight:700;font-size:1.125rem;margin:0 0 1rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem;overflow-wrap:anywhere}
.lead{color:${p.muted};margin:-.25rem 0 1rem;overflow-wrap:anywhere}
p{margin:0 0 1rem}
a{color:${p.accent}}
:focus-visible{outline:3px solid ${p.accent};outline-offset:2px}
.tabs ul{display:flex;list-style:none;margin:1rem 0 1.25rem;padding:0;border-bottom:1px solid ${p.line}}
.tabs li{flex:1;display:flex}
.tabs a{flex:1;display:flex;align-items:center;justify-content:center;padding:.7rem .25rem;text-align:center;font-weight:600;font-size:.875rem;color:${p.muted};text-decoration:none;border-bottom:3px solid transparent;margin-bottom:-1px}
.tabs a[aria-current=page]{color:${p.accent};border-bottom-color:${p.accent}}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
.hint{color:${p.muted};font-size:.875rem;margin:0 0 .25rem}
.field-error{color:${p.error};font-weight:600;margin:0 0 .25rem}
input{font:inherit;width:100%;box-sizing:border-box;padding:.6rem .7rem;border:1px solid ${p.field};border-radius:6px;background:${p.surface};color:inherit}
input[aria-invalid=true]{border:2px solid ${p.error}}
form{margin:0 0 1rem}
button,.button{display:block;width:100%;box-sizing:border-box;font:inherit;font-weight:600;text-align:center;padding:.65rem 1rem;border-radius:6px;border:1px solid ${p.accent};background:${p.accent};color:${p.onAccent};text-decoration:none;cursor:pointer;margin:0 0 .75rem}
.secondary{background:${p.surface};color:${p.text};border-color:${p.field}}
button small{display:block;font-weight:400;overflow-wrap:anywhere}
.or{display:flex;align-items:center;gap:.75rem;color:${p.muted}}
.or::before,.or::after{content:"";flex:1;border-top:1px solid ${p.line}}
.alert{border:2px solid ${p.error};background:${p.errorSurface};border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
.alert p{margin:0}
.alert ul{margin:.5rem 0 0;padding-left:1.25rem}
.alert a{color:${p.error}}
.muted{color:${p.muted};overflow-wrap:anywhere}
.notice{border:2px solid ${p.accent};border-radius:6px;padding:.75rem 1rem}
.check{display:flex;gap:.6rem;align-items:flex-start;margin:0 0 1rem}
.check input{width:1.25rem;height:1.25rem;margin:.15rem 0 0;flex:none}
.check label{font-weight:400;margin:0}
details{margin:0 0 1rem}
summary{color:${p.accent};cursor:pointer;padding:.5rem 0;margin:0 0 .5rem}
.qr{max-width:14rem;margin:0 auto 1rem}
.qr svg{display:block;width:100%;height:auto}
code{font:1rem/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.key{overflow-wrap:anywhere;word-spacing:.2em}
.codes{display:grid;grid-template-columns:repeat(auto-fill,minmax(8rem,1fr));gap:.25rem 1rem;list-style:none;margin:0 0 1.25rem;padding:0}
.factors{list-style:none;margin:0 0 1rem;padding:0}
.factors li{border-top:1px solid ${p.line};padding:.75rem 0}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
`;
