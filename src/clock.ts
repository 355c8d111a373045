// Time source. Everything that expires reads time from here so tests can move it without sleeping.
export interface Clock {
  now(): number; // milliseconds since the epoch
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private ms = Date.now()) {}
  now(): number { return this.ms; }
  advance(ms: number): void { this.ms += ms; }
}

export const DAY_MS = 86_400_000;
