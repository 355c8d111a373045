// The SPID levels (AgID): acr values of the SPID profile. Which of our levels they stand beside is
// the level table's business (LEVELS: their order), not this file's.
export const SPID_LEVELS = ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'] as const;
export type SpidLevel = (typeof SPID_LEVELS)[number];

export function spidRank(acr: unknown): number {
  return SPID_LEVELS.indexOf(acr as SpidLevel);
}

/** The lowest SPID level that meets `acr` in the level table (by its rank there), if any. */
export function spidLevelFor(policy: { rank(acr: string | undefined): number }, acr: string): SpidLevel | undefined {
  const wanted = policy.rank(acr);
  return SPID_LEVELS.find((l) => policy.rank(l) >= 0 && policy.rank(l) >= wanted);
}
