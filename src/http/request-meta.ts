/** Who is asking, as far as a sign-in record needs to know. */
export interface RequestMeta {
  /** The client's address as Cloudflare saw it (`CF-Connecting-IP`), not a header the client chose. */
  ip: string | null;
  userAgent: string | null;
}

export function requestMeta(request: Request): RequestMeta {
  return {
    ip: request.headers.get("CF-Connecting-IP"),
    userAgent: request.headers.get("User-Agent")?.slice(0, 512) ?? null,
  };
}
