// What a request asks of the level: claims.id_token.acr when essential (OIDC Core 5.5.1.1).

/** claims.id_token.acr when essential: its value or values. */
export function essentialAcrs(claims: unknown): string[] | undefined {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try { parsed = JSON.parse(claims); } catch { return undefined; }
  }
  const acr = (parsed as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } } | undefined)?.id_token?.acr;
  if (!acr?.essential) return undefined;
  if (typeof acr.value === 'string') return [acr.value];
  if (Array.isArray(acr.values)) return acr.values.filter((v): v is string => typeof v === 'string');
  return undefined;
}
