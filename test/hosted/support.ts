type Rendered = { toString(): string | Promise<string> };

/** A page component's output as the HTML a browser receives (hono/jsx renders on toString()). */
export async function render(page: Rendered | Promise<Rendered>): Promise<string> {
  return await (await page).toString();
}

/** Text as hono/jsx escapes it into HTML, to find a sentence in a page. */
export function escaped(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** The attributes of every element a CSS selector matches, parsed by workerd's own HTML parser. */
export async function elements(html: string, selector: string): Promise<Record<string, string>[]> {
  const found: Record<string, string>[] = [];
  await new HTMLRewriter()
    .on(selector, { element: (element) => void found.push(Object.fromEntries(element.attributes)) })
    .transform(new Response(html))
    .text();
  return found;
}

/** WCAG 2.x contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r = 0, g = 0, bl = 0] = [1, 3, 5].map((i) => {
      const channel = parseInt(hex.slice(i, i + 2), 16) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}
