// The installed login methods: one line each. A method is its folder (interactions/<id>/index.ts
// default-exports it, see src/methods/method.ts); nothing else in the product names it.
import type { MethodModule } from '../src/methods/method.ts';
import card from './card/index.ts';
import certificate from './certificate/index.ts';
import changePassword from './change-password/index.ts';
import consent from './consent/index.ts';
import identify from './identify/index.ts';
import otp from './otp/index.ts';
import passkey from './passkey/index.ts';
import password from './password/index.ts';
import payment from './payment/index.ts';
import secureChannel from './secure-channel/index.ts';
import spid from './spid/index.ts';
import totp from './totp/index.ts';

export const methods: readonly MethodModule[] = [
  card,
  certificate,
  changePassword,
  consent,
  identify,
  otp,
  passkey,
  password,
  payment,
  secureChannel,
  spid,
  totp,
];
