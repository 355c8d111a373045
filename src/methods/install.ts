// Installs the method modules: their steps into the registry, their strings, pages, scripts and
// prompts into the one list of each (their commands are the CLI's: src/cli/main.ts; their keys the key
// table's: src/store/keys.ts). Anything two modules would both claim, or a module that is incomplete
// (strings in one language only, a second factor without its name), stops the start with a message
// naming it.
import type { AccountPlugin } from '../self-service/plugin.ts';
import { StepRegistry } from '../flow/registry.ts';
import { LOCALES, type Strings } from '../http/i18n.ts';
import type { MethodModule, PromptDef } from './method.ts';

export class MethodError extends Error {}

export interface Installed {
  steps: StepRegistry;
  accountPlugins: AccountPlugin[];
  prompts: PromptDef[];
  scripts: NonNullable<MethodModule['scripts']>;
}

export function installMethods(modules: readonly MethodModule[], strings: Strings): Installed {
  const out: Installed = { steps: new StepRegistry(), accountPlugins: [], prompts: [], scripts: [] };
  const seen = new Set<string>();
  for (const m of modules) {
    const fail = (why: string) => new MethodError(`method ${m.id}: ${why}`);
    if (seen.has(m.id)) throw fail('installed twice');
    seen.add(m.id);
    if (m.settings && m.settings.id !== m.id) throw fail(`its settings are for ${m.settings.id}`);
    for (const step of m.steps ?? []) {
      try { out.steps.add(step); } catch (err) { throw fail((err as Error).message); }
    }
    if (m.strings) {
      const missing = LOCALES.flatMap((l) => LOCALES.flatMap((other) => Object.keys(m.strings![other]).filter((k) => !(k in m.strings![l])).map((k) => `${l}:${k}`)));
      if (missing.length) throw fail(`strings missing: ${[...new Set(missing)].join(', ')}`);
      for (const l of LOCALES) strings.add(l, m.strings[l]);
    }
    for (const step of (m.steps ?? []).filter((s) => s.slot)) {
      if (!m.strings || !(`method.${step.id}` in m.strings.en)) throw fail(`step ${step.id} fills a slot: its strings need "method.${step.id}" (its name on the choice page)`);
    }
    if (m.account) out.accountPlugins.push(m.account);
    for (const s of m.scripts ?? []) {
      if (out.scripts.some((x) => x.name === s.name)) throw fail(`script ${s.name} is already taken`);
      out.scripts.push(s);
    }
    for (const p of m.prompts ?? []) {
      if (['login', 'consent'].includes(p.name) || out.prompts.some((x) => x.name === p.name)) throw fail(`prompt ${p.name} is already taken`);
      out.prompts.push(p);
    }
  }
  const unanswered = out.prompts.filter((p) => !out.steps.forPrompt(p.name));
  if (unanswered.length) throw new MethodError(`prompt ${unanswered[0]!.name}: no installed step answers it`);
  return out;
}
