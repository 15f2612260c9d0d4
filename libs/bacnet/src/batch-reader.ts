/**
 * Reads many properties of one device in the fewest requests it takes
 * (ASHRAE 135 §15.7 ReadPropertyMultiple), learning as it goes
 * (read-capabilities.ts):
 * - batches are packed so the expected answer fits the device's answer budget
 *   (its max APDU: we never accept segmented answers);
 * - an abort (segmentation-not-supported, buffer-overflow, ...) or a Reject
 *   buffer-overflow splits the batch and narrows the budget for good (to the
 *   next legal max-APDU below the failed answer);
 * - a timeout of a batch larger than any the device has answered may mean
 *   "too large" rather than "dead" (some routers drop what they cannot
 *   carry): one ReadProperty of the batch's first item decides — it answers,
 *   so the budget narrows the same way and reading goes on; it times out
 *   too, so the device is down and the read fails with that timeout;
 * - a Reject unrecognized-service of RPM switches the device to ReadProperty
 *   for good (§15.7 is an optional service, DS-RPM-B);
 * - an Error PDU for a whole RPM (some devices answer so when one object is
 *   unknown) splits the batch until the refusing object stands alone.
 * A device that does not answer at all costs one timeout (two while its batch
 * size is unproven); per-item refusals come back as that item's error.
 */
import { COMPLEX_ACK_HEADER, READ_ACCESS_RESULT_OVERHEAD, expectedResultSize } from './apdu-size.js';
import { BacnetError } from './errors.js';
import { isUnsupportedService } from './errors.js';
import { propertyNumber } from './names.js';
import type { ReadCapabilities } from './read-capabilities.js';
import type { AnyObjectRef, PropertySpec, RpmResult } from './types.js';
import type { BacnetValue } from './values.js';

export interface ReadItem {
  key: string;
  object: AnyObjectRef;
  property: PropertySpec;
  /** Expected size of the value's encoding (§20.2), default 5 (a REAL or an Unsigned32). */
  valueSize?: number;
}

export interface ItemOutcome {
  key: string;
  value?: BacnetValue;
  /** The device's refusal of this item (error, reject or abort), a timeout after others answered. */
  error?: BacnetError;
}

/** The two requests the reader sends; a BacnetClient fits. */
export interface ReadPort {
  readProperty(
    address: string,
    obj: AnyObjectRef,
    property: string,
    arrayIndex?: number,
  ): Promise<BacnetValue>;
  readPropertyMultiple(
    address: string,
    specs: { object: AnyObjectRef; properties: PropertySpec[] }[],
  ): Promise<RpmResult[]>;
}

/**
 * Runs one request (the caller's scheduler goes here). `tentative` marks a
 * request whose timeout may mean "too large" rather than "device down": the
 * caller should not count such a timeout against the device.
 */
export type Send = <T>(run: () => Promise<T>, o: { tentative: boolean }) => Promise<T>;

export interface BatchReadOptions {
  /** Requests in flight at once for this read (the scheduler bounds it too). Default 1. */
  parallel?: number;
  send?: Send;
}

const directSend: Send = (run) => run();

/**
 * Timeouts of unproven batch sizes one read may answer by shrinking (each
 * only after a ReadProperty proved the device alive): enough to step from
 * 1476 down to 128 on a device that drops what it cannot carry.
 */
const MAX_TIMEOUT_SHRINKS = 4;

/** The BacnetError in `err` (itself, or the cause of a wrapper such as a FieldbusError). */
export function bacnetErrorOf(err: unknown): BacnetError | undefined {
  if (err instanceof BacnetError) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause instanceof BacnetError ? cause : undefined;
}

const ABORT_MEANS_TOO_LARGE = new Set([
  'segmentation-not-supported',
  'buffer-overflow',
  'apdu-too-long',
  'window-size-out-of-range',
  'insufficient-security', // never sent for size, but a refusal of the batch all the same
  'other',
]);

function propName(p: PropertySpec): string {
  return typeof p === 'string' ? p : p.property;
}
function propIndex(p: PropertySpec): number | undefined {
  return typeof p === 'string' ? undefined : p.index;
}
function itemSize(i: ReadItem): number {
  return expectedResultSize(propertyNumber(propName(i.property)), propIndex(i.property), i.valueSize ?? 5);
}
const sameObject = (a: AnyObjectRef, b: AnyObjectRef): boolean =>
  a.type === b.type && a.instance === b.instance;

/** Expected octets of the answer to reading `items` in one RPM. */
export function expectedAnswerSize(items: readonly ReadItem[]): number {
  let n = COMPLEX_ACK_HEADER;
  items.forEach((item, i) => {
    if (i === 0 || !sameObject(items[i - 1].object, item.object)) n += READ_ACCESS_RESULT_OVERHEAD;
    n += itemSize(item);
  });
  return n;
}

/** Packs items in order into batches whose expected answer fits `budget` (at least one item each). */
export function packBatches(items: readonly ReadItem[], budget: number): ReadItem[][] {
  const batches: ReadItem[][] = [];
  let current: ReadItem[] = [];
  let size = COMPLEX_ACK_HEADER;
  for (const item of items) {
    const last = current[current.length - 1];
    const add =
      (last && sameObject(last.object, item.object) ? 0 : READ_ACCESS_RESULT_OVERHEAD) + itemSize(item);
    if (current.length > 0 && size + add > budget) {
      batches.push(current);
      current = [];
      size = COMPLEX_ACK_HEADER + READ_ACCESS_RESULT_OVERHEAD + itemSize(item);
    } else size += add;
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** ReadAccessSpecifications for a batch: consecutive items of one object share one (§21 ReadAccessSpecification). */
function toSpecs(batch: readonly ReadItem[]): { object: AnyObjectRef; properties: PropertySpec[] }[] {
  const specs: { object: AnyObjectRef; properties: PropertySpec[] }[] = [];
  for (const item of batch) {
    const last = specs[specs.length - 1];
    if (last && sameObject(last.object, item.object)) last.properties.push(item.property);
    else specs.push({ object: item.object, properties: [item.property] });
  }
  return specs;
}

export async function readBatched(
  port: ReadPort,
  address: string,
  items: readonly ReadItem[],
  caps: ReadCapabilities,
  o: BatchReadOptions = {},
): Promise<ItemOutcome[]> {
  const send = o.send ?? directSend;
  const out = new Map<string, ItemOutcome>();
  const queue: ReadItem[][] = caps.rpm ? packBatches(items, caps.budget) : items.map((i) => [i]);
  /** Whether the device answered anything since its last timeout (a second timeout in a row means it is down). */
  let answered = false;
  let timeoutShrinks = 0;
  let fatal: Error | undefined;

  const readOne = async (item: ReadItem, probe = false): Promise<void> => {
    try {
      const value = await send(
        () => port.readProperty(address, item.object, propName(item.property), propIndex(item.property)),
        { tentative: false },
      );
      answered = true;
      out.set(item.key, { key: item.key, value });
    } catch (err) {
      const b = bacnetErrorOf(err);
      const closed = b?.kind === 'abort' && b.errorCode === undefined;
      if (!b || closed || b.kind === 'decode' || (b.kind === 'timeout' && (probe || !answered))) throw err;
      answered = b.kind !== 'timeout';
      out.set(item.key, { key: item.key, error: b });
    }
  };

  const readMultiple = async (batch: ReadItem[]): Promise<void> => {
    const size = expectedAnswerSize(batch);
    if (size > caps.budget && batch.length > 1) {
      // Packed before the budget narrowed: repack rather than send what is now known to be too large.
      queue.push(...packBatches(batch, caps.budget));
      return;
    }
    const tentative = batch.length > 1 && size > caps.proven;
    let results: RpmResult[];
    try {
      results = await send(() => port.readPropertyMultiple(address, toSpecs(batch)), { tentative });
    } catch (err) {
      const b = bacnetErrorOf(err);
      if (!b) throw err;
      if (isUnsupportedService(b)) {
        caps.rpmRejected(b.errorCode ?? b.kind);
        answered = true;
        for (const item of batch) queue.push([item]);
        return;
      }
      const split = (): void => {
        const half = Math.ceil(batch.length / 2);
        queue.push(
          ...packBatches(batch.slice(0, half), caps.budget),
          ...packBatches(batch.slice(half), caps.budget),
        );
      };
      const tooLarge =
        (b.kind === 'abort' && b.errorCode !== undefined && ABORT_MEANS_TOO_LARGE.has(b.errorCode)) ||
        (b.kind === 'reject' && b.errorCode === 'buffer-overflow');
      if (tooLarge && batch.length > 1) {
        answered = true;
        caps.tooLarge(size, `${b.kind} ${b.errorCode}`);
        return split();
      }
      if (b.kind === 'timeout' && tentative && timeoutShrinks < MAX_TIMEOUT_SHRINKS) {
        timeoutShrinks++;
        // Too large, or down? One small request decides (its own timeout means down, and is thrown).
        await readOne(batch[0], true);
        caps.tooLarge(size, 'timeout while smaller requests are answered');
        const rest = batch.slice(1);
        const half = Math.ceil(rest.length / 2);
        queue.push(
          ...packBatches(rest.slice(0, half), caps.budget),
          ...packBatches(rest.slice(half), caps.budget),
        );
        return;
      }
      if (
        (b.kind === 'error' || b.kind === 'reject' || b.kind === 'abort') &&
        b.errorCode &&
        batch.length > 1
      ) {
        answered = true;
        return split();
      }
      if ((b.kind === 'error' || b.kind === 'reject' || b.kind === 'abort') && b.errorCode) {
        answered = true;
        out.set(batch[0].key, { key: batch[0].key, error: b });
        return;
      }
      throw err;
    }
    answered = true;
    caps.answered(size);
    const answers = (x: RpmResult | undefined, item: ReadItem, name: string, index?: number): boolean =>
      x !== undefined && sameObject(x.object, item.object) && x.property === name && x.index === index;
    // Results come in the order asked (§15.7.1.3.1): the next one is tried first, a search covers any other order.
    let next = 0;
    for (const item of batch) {
      const name = propName(item.property);
      const index = propIndex(item.property);
      let r: RpmResult | undefined = results[next];
      if (answers(r, item, name, index)) next++;
      else {
        const at = results.findIndex((x) => answers(x, item, name, index));
        r = at < 0 ? undefined : results[at];
        if (at >= 0) next = at + 1;
      }
      if (!r) {
        out.set(item.key, {
          key: item.key,
          error: new BacnetError(
            'decode',
            `the answer has no result for ${item.object.type}:${item.object.instance} ${name}`,
          ),
        });
      } else if (r.error) {
        const e = r.error;
        out.set(item.key, {
          key: item.key,
          error: new BacnetError(
            'error',
            `BACnet error ${e.errorClass}/${e.errorCode}: ${item.object.type}:${item.object.instance} ${name} at ${address}`,
            e.errorClass,
            e.errorCode,
          ),
        });
      } else out.set(item.key, { key: item.key, value: r.value ?? null });
    }
  };

  const worker = async (): Promise<void> => {
    for (let batch = queue.shift(); batch && fatal === undefined; batch = queue.shift()) {
      try {
        if (batch.length === 1 && !caps.rpm) await readOne(batch[0], true);
        else if (!caps.rpm) for (const item of batch) await readOne(item);
        else await readMultiple(batch);
      } catch (err) {
        fatal ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  const parallel = Math.max(1, o.parallel ?? 1);
  // Workers pull from one queue, so batches requeued by a split are picked up by whichever is free.
  await Promise.all(Array.from({ length: parallel }, () => worker()));
  while (queue.length > 0 && fatal === undefined) await worker();
  if (fatal !== undefined) throw fatal;
  return items.map(
    (i) => out.get(i.key) ?? { key: i.key, error: new BacnetError('decode', `not read: ${i.key}`) },
  );
}
