/**
 * The point catalogue ids this replica has seen committed. A catalogue row is
 * never re-keyed or deleted, so an id once committed stays right forever and
 * any replica may keep it: a cold or cleared cache only costs a SELECT, never
 * a wrong answer, and the ingest stays stateless in the sense that matters
 * (any replica can take any batch). Without it every batch looked up all of
 * its points again, a scan over the site's catalogue per batch.
 *
 * Only ids from a committed transaction may be remembered: a rolled-back
 * batch may have inserted points that do not exist.
 */
const KNOWN_POINTS_MAX = 200_000;

export class KnownPoints {
  private readonly sites = new Map<number, Map<string, number>>();
  private size = 0;

  constructor(private readonly max = KNOWN_POINTS_MAX) {}

  get(siteId: number, key: string): number | undefined {
    return this.sites.get(siteId)?.get(key);
  }

  /** After COMMIT: the ids the batch used. Past the bound everything is forgotten (a few SELECTs to refill). */
  remember(siteId: number, ids: ReadonlyMap<string, number>): void {
    let site = this.sites.get(siteId);
    if (!site) this.sites.set(siteId, (site = new Map<string, number>()));
    for (const [key, id] of ids) {
      if (site.has(key)) continue;
      if (this.size >= this.max) {
        this.sites.clear();
        this.size = 0;
        this.sites.set(siteId, (site = new Map<string, number>()));
      }
      site.set(key, id);
      this.size++;
    }
  }
}
