// Finds the method folders under interactions/: index.ts default-exports a Step, account.ts an
// AccountPlugin (its self-service pages), locales/<lang>.json its strings. Adding a method is adding
// a folder; nothing here names one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Step } from './step.ts';
import type { Strings } from '../http/i18n.ts';
import type { AccountPlugin } from '../account/plugin.ts';

export class StepRegistry {
  private readonly steps = new Map<string, Step>();
  /** Self-service and administration pages contributed by the method folders. */
  readonly accountPlugins: AccountPlugin[] = [];

  add(step: Step): void {
    if (this.steps.has(step.id)) throw new Error(`two steps named ${step.id}`);
    this.steps.set(step.id, step);
  }

  get(id: string): Step | undefined {
    return this.steps.get(id);
  }

  ofSlot(slot: string): Step[] {
    return [...this.steps.values()].filter((s) => s.slot === slot && s.kind === 'login');
  }

  ofKind(kind: Step['kind']): Step[] {
    return [...this.steps.values()].filter((s) => s.kind === kind);
  }
}

// '.ts' from the sources (vitest, tsx), '.js' in the compiled build (dist/).
const EXT = path.extname(fileURLToPath(import.meta.url));

export async function discoverSteps(dir: string, registry: StepRegistry, strings: Strings): Promise<void> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(dir, entry.name);
    const index = path.join(folder, `index${EXT}`);
    const account = path.join(folder, `account${EXT}`);
    if (existsSync(index)) registry.add(((await import(pathToFileURL(index).href)) as { default: Step }).default);
    if (existsSync(account)) registry.accountPlugins.push(((await import(pathToFileURL(account).href)) as { default: AccountPlugin }).default);
    loadStrings(path.join(folder, 'locales'), strings);
  }
}

export function loadStrings(dir: string, strings: Strings): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    // "it.json", or "<area>.it.json" so that several areas can keep their strings side by side.
    const locale = file.slice(0, -5).split('.').pop()!;
    strings.add(locale, JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, string>);
  }
}
