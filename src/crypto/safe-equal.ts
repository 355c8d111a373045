// Constant-time comparison for secrets and form tokens: both sides hashed to the same length first,
// so neither the content nor the length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export function safeEqual(a: string, b: string): boolean {
  const h = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(h(a), h(b)) && a.length === b.length;
}
