// The language switch's route: /language/en?back=/path sets the choice (see src/http/language.ts)
// and goes back; a login in progress switches at once (its flow state names the locale).
import type Router from '@koa/router';
import type { Redis } from 'ioredis';
import { INTERACTION, isLocale, LANGUAGE_COOKIE, LOCAL_PATH, ONE_YEAR_MS } from '../http/language.ts';
import { keys } from '../store/keys.ts';
import { loadFlow, saveFlow } from './state.ts';

export function languageRoutes(router: Router, redis: Redis): void {
  router.get('/language/:locale', async (ctx) => {
    const locale = ctx.params.locale;
    if (!isLocale(locale)) return ctx.throw(404, 'error.not_found');
    const back = typeof ctx.query.back === 'string' && LOCAL_PATH.test(ctx.query.back) ? ctx.query.back : '/account';
    ctx.cookies.set(LANGUAGE_COOKIE, locale, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: ONE_YEAR_MS, overwrite: true, path: '/' });
    const uid = INTERACTION.exec(back)?.[1];
    if (uid) {
      const flow = await loadFlow(redis, uid);
      const ttl = flow ? await redis.ttl(keys.flow(uid)) : 0;
      if (flow && ttl > 0) {
        flow.locale = locale;
        await saveFlow(redis, uid, flow, ttl);
      }
    }
    ctx.set('cache-control', 'no-store');
    ctx.status = 303;
    ctx.redirect(back);
  });
}
