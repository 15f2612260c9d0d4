import { Global, Module } from '@nestjs/common';
import { systemLinkClock } from '#libs/link';
import type { LinkClock } from '#libs/link';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LINK_STATE } from './link-state.port.js';
import { LINK_CLOCK, LinkService } from './link.service.js';
import { ModeController } from './mode.controller.js';

/** Global: the cloud link's state (LINK_STATE) for every module; the mode API. */
@Global()
@Module({
  controllers: [ModeController],
  providers: [
    LinkService,
    { provide: LINK_STATE, useExisting: LinkService },
    {
      // The app's clock tells the time (tests may fake it); the link's deadlines run on real timers.
      provide: LINK_CLOCK,
      useFactory: (clock: Clock): LinkClock => ({
        now: () => clock.now(),
        setTimeout: (fn, ms) => systemLinkClock.setTimeout(fn, ms),
        clearTimeout: (handle) => systemLinkClock.clearTimeout(handle),
      }),
      inject: [CLOCK],
    },
  ],
  exports: [LinkService, LINK_STATE],
})
export class LinkModule {}
