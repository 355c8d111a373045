// TRUSTED_PROXIES: the TCP peers (CIDRs) whose client-certificate header is believed (the
// TLS-terminating nginx in front of the IdP). Anyone else's header is ignored.
import net from 'node:net';

/** One CIDR ("10.0.0.0/8", "::1/128") or a single address; undefined when it is neither. */
export function parseCidr(raw: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits] = raw.trim().split('/');
  const version = net.isIP(address);
  if (!version) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (p) this.list.addSubnet(p.address, p.prefix, p.family);
    }
    this.empty = cidrs.length === 0;
  }

  /** True when the TCP peer at this address is one of them (an IPv4 peer may come as ::ffff:a.b.c.d). */
  has(peer: string | undefined): boolean {
    if (!peer || this.empty) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1];
    const address = mapped ?? peer;
    const version = net.isIP(address);
    if (!version) return false;
    return this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}
