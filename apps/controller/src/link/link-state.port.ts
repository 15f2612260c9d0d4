/**
 * What the rest of the controller needs of the cloud link: its state as an
 * observable (libs/link LinkMonitor.state$: distinct states, the current one
 * first). A port, so CommandService is tested with a plain Subject.
 */
import type { Observable } from 'rxjs';
import type { LinkState } from '#libs/link';

export interface LinkStateSource {
  readonly state$: Observable<LinkState>;
}

export const LINK_STATE = Symbol('LINK_STATE');
