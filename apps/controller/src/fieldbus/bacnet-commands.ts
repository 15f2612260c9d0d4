/**
 * Commanding BACnet objects (ASHRAE 135 §19.2 command prioritization):
 * WriteProperty of present-value at a priority, relinquish by writing NULL at
 * that priority, and the device's own priority array with its current
 * command priority (property 431, 135-2016; computed from the array for
 * devices older than that).
 */
import { readBatched } from '#libs/bacnet';
import type { ItemOutcome, ReadItem } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';
import type { PriorityArraySnapshot, RequestKind } from '#libs/fieldbus';
import type { BacnetDataType, PointDef } from '#libs/profiles';
import { toFieldbusError } from './bacnet-errors.js';
import type { BacnetLink, BacnetLinks, BacnetPort } from './bacnet-link.js';
import { isCommandable, objectOf, toEngineering, toRaw } from './bacnet-points.js';

/** Priority when a write to a commandable object names none (§15.9.1.1.5: the device assumes 16). */
const DEFAULT_PRIORITY = 16;

export class BacnetCommands {
  constructor(
    private readonly client: BacnetPort,
    private readonly links: BacnetLinks,
  ) {}

  async write(link: BacnetLink, point: PointDef, value: number, priority?: number): Promise<void> {
    if (point.access !== 'write')
      throw new FieldbusError('not-writable', `point ${point.id} is read-only in its profile`);
    const raw = toRaw(point, value);
    const obj = objectOf(point);
    // A non-commandable object has no slots: its present-value is written directly, without a priority.
    const at = isCommandable(point) ? checkedPriority(point, priority ?? DEFAULT_PRIORITY) : undefined;
    await this.links.request(link, 'write', (address) =>
      this.client.writeProperty(address, obj, 'present-value', raw, {
        priority: at,
        dataType: point.dataType as BacnetDataType,
      }),
    );
  }

  async relinquish(link: BacnetLink, point: PointDef, priority: number): Promise<void> {
    if (!isCommandable(point))
      throw new FieldbusError(
        'not-supported',
        `cannot relinquish ${point.id}: ${point.bacnet?.objectType} ${point.bacnet?.instance} has no priority array; ` +
          'the controller keeps the array and writes the winner',
      );
    const obj = objectOf(point);
    const at = checkedPriority(point, priority);
    await this.links.request(link, 'write', (address) =>
      this.client.writeProperty(address, obj, 'present-value', null, { priority: at }),
    );
  }

  async readPriorityArray(
    link: BacnetLink,
    point: PointDef,
    kind: RequestKind = 'poll',
  ): Promise<PriorityArraySnapshot | null> {
    if (!isCommandable(point)) return null;
    const object = objectOf(point);
    const read = (items: ReadItem[]): Promise<ItemOutcome[]> =>
      readBatched(this.client, this.links.address(link), items, link.caps, {
        send: (run, o) => this.links.request(link, kind, () => run(), o),
      }).catch((err: unknown) => {
        throw toFieldbusError(err);
      });
    const byKey = (outcomes: ItemOutcome[]): Map<string, ItemOutcome> =>
      new Map(outcomes.map((o) => [o.key, o]));
    const extras: ReadItem[] = [
      { key: 'rd', object, property: 'relinquish-default' },
      { key: 'ccp', object, property: 'current-command-priority', valueSize: 2 },
    ];
    let slots: (number | null)[] | undefined;
    let got = new Map<string, ItemOutcome>();
    if (!link.priorityArrayByElement) {
      // 16 slots of REAL: ~80 octets (§20.2.6); fits every APDU but the 50-octet one.
      got = byKey(await read([{ key: 'pa', object, property: 'priority-array', valueSize: 80 }, ...extras]));
      const pa = got.get('pa')!;
      if (pa.error?.kind === 'abort' || pa.error?.errorCode === 'buffer-overflow') {
        link.priorityArrayByElement = true;
      } else if (pa.error) throw toFieldbusError(pa.error);
      else slots = slotsOf(point, pa.value);
    }
    if (!slots) {
      const elements: ReadItem[] = Array.from({ length: 16 }, (_, i) => ({
        key: `pa${i + 1}`,
        object,
        property: { property: 'priority-array', index: i + 1 },
      }));
      got = byKey(await read([...elements, ...extras]));
      slots = elements.map((e) => {
        const o = got.get(e.key)!;
        if (o.error) throw toFieldbusError(o.error);
        return toEngineering(point, o.value ?? null);
      });
    }
    const rd = got.get('rd')!;
    const ccp = got.get('ccp')!;
    let current: number | null;
    if (!ccp.error)
      current = typeof ccp.value === 'number' ? ccp.value : null; // NULL: relinquished
    else {
      // Devices before 135-2016 have no current-command-priority: the lowest occupied slot wins (§19.2.1).
      const winner = slots.findIndex((v) => v !== null);
      current = winner < 0 ? null : winner + 1;
    }
    return {
      slots,
      relinquishDefault: rd.error ? null : toEngineering(point, rd.value ?? null),
      currentCommandPriority: current,
    };
  }
}

function checkedPriority(point: PointDef, priority: number): number {
  if (!Number.isInteger(priority) || priority < 1 || priority > 16)
    throw new FieldbusError('out-of-range', `${point.id}: BACnet priority must be 1..16, got ${priority}`);
  return priority;
}

function slotsOf(point: PointDef, v: unknown): (number | null)[] {
  if (!Array.isArray(v) || v.length !== 16)
    throw new FieldbusError(
      'bad-response',
      `${point.id}: priority-array should hold 16 slots (§19.2), got ${JSON.stringify(v)}`,
    );
  return v.map((x) => toEngineering(point, x as number | null));
}
