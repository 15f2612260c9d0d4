/**
 * libs/fieldbus: the driver port and the framework around it. The rhythm of
 * every bus (one scheduler per bus, writes ahead of polls, a breaker per
 * device, per-point poll intervals with staggered starts) and the verified
 * write path live here, pure and tested with a fake clock; the protocol
 * adapters live in the controller and talk to devices only through this.
 */
export type * from './driver-port.js';
export { FieldbusError, DEVICE_FAILURE_CODES, errorInfo, isDeviceFailure } from './errors.js';
export { systemClock, sleep, type Clock, type RandomSource, type TimerHandle } from './clock.js';
export { FakeClock, flushPromises } from './fake-clock.js';
export {
  BreakerConfigError,
  CircuitBreaker,
  type Admission,
  type BreakerOptions,
  type BreakerPhase,
  type BreakerSnapshot,
} from './breaker.js';
export {
  BusScheduler,
  BusSchedulerConfigError,
  type BusSchedulerOptions,
  type BusStats,
  type DeviceSchedulingOptions,
  type SubmitOptions,
  type TaskDone,
} from './bus-scheduler.js';
export { BusRegistry, type BusDefaults, type BusOptions } from './bus-registry.js';
export { runSequence } from './request-sequence.js';
export {
  PollPlan,
  PollPlanError,
  pointIntervalMs,
  staggerOffsets,
  type PollItem,
  type PollPlanOptions,
} from './poll-plan.js';
export {
  isRetryableWriteError,
  WriteFailedError,
  writeVerified,
  type WriteAttempt,
  type WriteOutcome,
  type WriteVerifiedOptions,
} from './write-path.js';
export { writeTolerance } from './resolution.js';
