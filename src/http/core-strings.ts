// The core's strings (layout, errors, account and company pages, messages), in both languages. The
// methods bring their own (src/methods/method.ts `strings`).
import { Strings } from './i18n.ts';
import en from '../../views/locales/en.json' with { type: 'json' };
import it from '../../views/locales/it.json' with { type: 'json' };
import companyEn from '../../views/locales/company.en.json' with { type: 'json' };
import companyIt from '../../views/locales/company.it.json' with { type: 'json' };
import credentialsEn from '../../views/locales/credentials.en.json' with { type: 'json' };
import credentialsIt from '../../views/locales/credentials.it.json' with { type: 'json' };
import deliveryEn from '../../views/locales/delivery.en.json' with { type: 'json' };
import deliveryIt from '../../views/locales/delivery.it.json' with { type: 'json' };
import otpEn from '../../views/locales/otp.en.json' with { type: 'json' };
import otpIt from '../../views/locales/otp.it.json' with { type: 'json' };

export const CORE_STRINGS = {
  it: { ...it, ...companyIt, ...credentialsIt, ...deliveryIt, ...otpIt },
  en: { ...en, ...companyEn, ...credentialsEn, ...deliveryEn, ...otpEn },
};

export function coreStrings(): Strings {
  const strings = new Strings();
  strings.add('it', CORE_STRINGS.it);
  strings.add('en', CORE_STRINGS.en);
  return strings;
}
