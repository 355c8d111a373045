// Public pages that look up what the visitor typed (fiscal code and member code) must take the same
// time whether it matched or not. Their work runs against a fixed floor: the answer goes out when
// the floor is reached, never before; work still running then (a slow SMTP server) goes on off the
// request path, so the answer never waits for it either.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

const late = new Set<Promise<void>>();

/**
 * Runs `work` and resolves no sooner than `floorMs` after the call. An error of the work before the
 * floor is thrown (after the floor); one after it is logged.
 */
export async function atFloor(floorMs: number, log: Logger, work: () => Promise<void>): Promise<void> {
  const floor = sleep(floorMs);
  let failed: { err: unknown } | undefined;
  let finished = false;
  const running = work().then(() => { finished = true; }, (err: unknown) => { finished = true; failed = { err }; });
  await Promise.race([running, floor]);
  await floor;
  if (!finished) {
    const tracked = running.then(() => { if (failed) log.error({ err: failed.err }, 'public page: work finished after the answer failed'); });
    late.add(tracked);
    void tracked.finally(() => late.delete(tracked));
    return;
  }
  if (failed) throw failed.err;
}

/** Resolves when the work left running after its answer has finished (shutdown, tests). */
export async function lateWorkSettled(): Promise<void> {
  await Promise.all([...late]);
}
