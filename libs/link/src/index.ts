/**
 * libs/link: the controller's view of the cloud link (issue 4 item 4, DESIGN.md
 * point 5): CONNECTED, DEGRADED, AUTONOMOUS with hysteresis and loss detected
 * within 5 s by default, as rxjs observables. Pure: time and timers are injected.
 */
export type * from './types.js';
export { LINK_STATES } from './types.js';
export { DEFAULT_LINK_OPTIONS, LinkOptionsError, resolveLinkOptions } from './options.js';
export type { LinkOptions } from './options.js';
export { FakeClock, systemLinkClock } from './clock.js';
export type { LinkClock, LinkTimerHandle } from './clock.js';
export { LinkMonitor } from './link-monitor.js';
export { ManualLinkDriver } from './manual-link-driver.js';
export type { LinkDriver } from './manual-link-driver.js';
