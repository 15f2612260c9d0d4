/**
 * A device's requests that go one after another, as a driver's planned reads
 * of one scan do: each is queued on the bus when the one before it has
 * settled, just as if its caller had submitted it then (so other devices'
 * requests interleave exactly as before, and writes still jump ahead), but
 * with no promise and no await per request: a scan sends hundreds.
 *
 * `each(k, ok, value)` hears every outcome in turn, a refusal included
 * (breaker open, bus closed, backstop), and says whether to go on. The promise
 * resolves when the sequence ends (all sent, or stopped), and rejects only if
 * `each` throws.
 */
import type { BusScheduler } from './bus-scheduler.js';
import type { SubmitOptions, TaskDone } from './bus-scheduler-types.js';
import type { RequestKind } from './driver-port.js';

export function runSequence(
  bus: BusScheduler,
  kind: RequestKind,
  deviceKey: string,
  tasks: ReadonlyArray<(done: TaskDone) => void>,
  options: SubmitOptions,
  each: (k: number, ok: boolean, value: unknown) => boolean,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (tasks.length === 0) return resolve();
    let k = 0;
    const settled: TaskDone = (ok, value) => {
      let goOn: boolean;
      try {
        goOn = each(k, ok, value);
      } catch (err) {
        return reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (goOn && ++k < tasks.length) bus.enqueueTask(kind, deviceKey, tasks[k], options, settled);
      else resolve();
    };
    bus.enqueueTask(kind, deviceKey, tasks[0], options, settled);
  });
}
