// A client's metadata as oidc-provider's Client.metadata() returns it, computed once per Client
// instance: metadata() maps every property's name anew (tens of microseconds a call, several calls a
// login), while oidc-provider keeps one instance per client until its stored metadata changes (then
// a new instance, and a new entry here). Callers only read it.
const memo = new WeakMap<object, Readonly<Record<string, unknown>>>();

export function clientMetadata(client: { metadata(): unknown }): Readonly<Record<string, unknown>> {
  let m = memo.get(client);
  if (!m) memo.set(client, (m = client.metadata() as Record<string, unknown>));
  return m;
}
