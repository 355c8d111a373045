// The policy engine: which level a request gets and which steps reach it. Levels come from the
// configuration, lowest first; every step a level names must be installed (checked at start).
import type { LevelConfig } from '../config.ts';
import type { StepRegistry } from './registry.ts';
import { SLOT, type Step } from './step.ts';

export interface AcrRequest {
  acrValues?: string;                 // the acr_values parameter (voluntary, in order of preference)
  essential?: string[];               // claims.id_token.acr with essential: true (value or values)
  clientDefaults?: readonly string[]; // the client's default_acr_values
}

export type Target = { acr: string } | { error: 'unmet_authentication_requirements'; description: string };


export class Policy {
  constructor(
    private readonly levels: LevelConfig[],
    private readonly registry: StepRegistry,
    private readonly defaultAcr: string,
    /** False for a step installed but switched off by its settings: its levels are not offered. */
    private readonly isOn: (step: Step) => boolean = () => true,
  ) {}

  /**
   * Position of a session's level, lowest 0; -1 when it has none or one no longer configured (it
   * then meets no requirement).
   */
  rank(acr: string | undefined): number {
    return acr === undefined ? -1 : this.levels.findIndex((l) => l.acr === acr);
  }

  /** Position of a level the product requires (a setting): an unknown one is a programming error. */
  required(acr: string): number {
    const i = this.levels.findIndex((l) => l.acr === acr);
    if (i < 0) throw new Error(`unknown level ${acr}: not in the level table`);
    return i;
  }

  /** True when a session at `sessionAcr` meets the level `acr` (which must be a configured one). */
  meets(sessionAcr: string | undefined, acr: string): boolean {
    return this.rank(sessionAcr) >= this.required(acr);
  }

  available(acr: string): boolean {
    const level = this.levels.find((l) => l.acr === acr);
    return !!level && level.steps.every((entry) => {
      const slot = SLOT.exec(entry)?.[1];
      if (slot) return this.registry.ofSlot(slot).some(this.isOn);
      const step = this.registry.get(entry);
      return step?.kind === 'login' && this.isOn(step);
    });
  }

  /**
   * Problems in the level table: a step no installed method provides (or not a login step), a slot
   * no step fills, a step that needs a user placed before any step that identifies.
   */
  problems(): string[] {
    const out: string[] = [];
    for (const level of this.levels) {
      let identified = false;
      for (const entry of level.steps) {
        const slot = SLOT.exec(entry)?.[1];
        const steps = slot ? this.registry.ofSlot(slot) : [this.registry.get(entry)].filter((x) => x !== undefined);
        if (slot && !steps.length) out.push(`level ${level.acr}: no installed step fills the slot <${slot}>`);
        if (!slot && !steps.length) out.push(`level ${level.acr}: no installed method provides the step ${entry}`);
        if (!slot && steps.some((s) => s.kind !== 'login')) out.push(`level ${level.acr}: ${entry} is not a login step`);
        if (!identified && steps.some((s) => s.requiresUser)) out.push(`level ${level.acr}: ${entry} needs an identified user but comes before any identifying step`);
        if (steps.some((s) => s.identifies)) identified = true;
      }
    }
    return out;
  }

  /** The levels this deployment can deliver, for discovery (acr_values_supported). */
  supported(): string[] {
    return this.levels.map((l) => l.acr).filter((acr) => this.available(acr));
  }

  /** The steps (or "<slot>" entries) of a level, in order. */
  chain(acr: string): string[] {
    return [...(this.levels.find((l) => l.acr === acr)?.steps ?? [])];
  }

  /**
   * The level to reach. An essential acr that cannot be met is an error for the client; voluntary
   * values we do not know or cannot deliver are passed over (OIDC Core 5.5.1.1).
   */
  target(req: AcrRequest): Target {
    if (req.essential?.length) {
      const acr = req.essential.find((a) => this.available(a));
      if (acr) return { acr };
      return { error: 'unmet_authentication_requirements', description: `none of the requested authentication context classes (${req.essential.join(', ')}) can be satisfied` };
    }
    const voluntary = (req.acrValues ?? '').split(' ').filter(Boolean);
    const pick = voluntary.find((a) => this.available(a)) ?? req.clientDefaults?.find((a) => this.available(a));
    return { acr: pick ?? this.defaultAcr };
  }

  /** True when a session at `sessionAcr` is below the level this request needs (step-up). */
  needsStepUp(sessionAcr: string | undefined, req: AcrRequest): boolean {
    const t = this.target(req);
    if (!('acr' in t)) return false; // the error is reported by the interaction
    if (req.essential?.length) return !req.essential.includes(sessionAcr ?? '');
    return this.rank(sessionAcr) < this.rank(t.acr);
  }
}
