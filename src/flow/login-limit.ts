// The abuse limits of the login's posted steps (password, codes, card, app...): per address and per
// account (the name typed on the identify page, else the interaction's user), failures only.
import type Koa from 'koa';
import type { Redis } from 'ioredis';
import { accountIdFor } from '../accounts/accounts.ts';
import { countFailures, type AbuseLimits } from '../http/rate-limit.ts';
import { loadFlow } from './state.ts';

/** Who the posted login form is about: the identity fields when present, else the interaction's user. */
async function loginName(ctx: Koa.Context, redis: Redis): Promise<string | undefined> {
  const body = ctx.request.body ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v.replace(/\s+/g, '').toUpperCase() : '');
  const fiscal = text(body.fiscal_code);
  const company = text(body.company_code);
  if (fiscal) return accountIdFor({ type: 'citizen', fiscalCode: fiscal });
  if (company) return accountIdFor({ type: 'company', companyCode: company, operatorCode: text(body.operator_code) || undefined });
  const uid = (ctx.params as Record<string, string> | undefined)?.uid;
  if (!uid) return undefined;
  const flow = await loadFlow(redis, uid).catch(() => undefined);
  // Handed to the engine, which would otherwise read the same state again (one round trip less).
  ctx.state.flowRead = { uid, flow };
  return flow?.identified?.name;
}

/** The posted login steps (password, codes, card, app...): per address and per account. */
export function limitLogin(limits: AbuseLimits, redis: Redis): Koa.Middleware {
  return async (ctx, next) => {
    const account = await loginName(ctx, redis);
    await countFailures(ctx, limits, { ip: ctx.ip, account, slow: true }, next);
  };
}

