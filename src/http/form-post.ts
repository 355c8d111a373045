// The middlewares of every posted form of ours: the body parser, then the CSRF check.
import type Koa from 'koa';
import type { Services } from '../services.ts';
import { csrf } from './csrf.ts';
import { formBody } from './form.ts';

export function formPost(s: Pick<Services, 'config' | 'sealer'>, opts: { json?: boolean } = {}): Koa.Middleware[] {
  return [formBody(s.config.formLimitBytes, opts), csrf(s.sealer)];
}
