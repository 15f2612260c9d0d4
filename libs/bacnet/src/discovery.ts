/**
 * Network discovery (ASHRAE 135 §16.10 Who-Is / I-Am, DM-DDB-A) and device
 * description (DM-DOB-A style: the device object, its object-list, and the
 * properties of every point object that tell what a point is — name, units,
 * states, and whether it is commandable, i.e. has a priority array, §19.2).
 *
 * Reads go through the batch reader, so a device without ReadPropertyMultiple
 * or with a small APDU is read all the same; an object-list or a state-text
 * too large for one APDU is read element by element (§15.5.1.1.3).
 */
import type { BacnetClient } from './client.js';
import { readBatched } from './batch-reader.js';
import type { ItemOutcome, ReadItem } from './batch-reader.js';
import { isPointObjectType, segmentationName } from './names.js';
import { ReadCapabilities } from './read-capabilities.js';
import type { Segmentation } from './read-capabilities.js';
import type { AnyObjectRef, DiscoveredDevice, ObjectRef } from './types.js';
import type { BacnetValue } from './values.js';
import { parseObjectId } from './values.js';

export interface ScanProgress {
  phase: 'who-is' | 'read';
  done: number;
  total: number;
  /** Devices found so far. */
  found: number;
  /** What is being asked now: a target address, or a device. */
  current?: string;
}

export interface ScanOptions {
  /** 'host:port' addresses to ask with a directed Who-Is. */
  targets?: string[];
  /** Also send a broadcast Who-Is (through the BBMD when the client has one). */
  broadcast?: boolean;
  /** Device instance range asked for (§16.10.1.1); default all. */
  lowLimit?: number;
  highLimit?: number;
  /** How long to listen for I-Ams after each Who-Is, ms; default 1000. */
  waitMs?: number;
  /** Directed Who-Is in flight at once; default 32. */
  concurrency?: number;
  onProgress?: (p: ScanProgress) => void;
}

/** Finds devices: a broadcast Who-Is and/or a directed one to each target; one entry per device instance. */
export async function findDevices(client: BacnetClient, o: ScanOptions): Promise<DiscoveredDevice[]> {
  const found = new Map<number, DiscoveredDevice>();
  const targets = o.targets ?? [];
  const total = targets.length + (o.broadcast ? 1 : 0);
  let done = 0;
  const ask = { lowLimit: o.lowLimit, highLimit: o.highLimit, waitMs: o.waitMs ?? 1000 };
  const keep = (list: DiscoveredDevice[]): void => {
    for (const d of list) if (!found.has(d.deviceInstance)) found.set(d.deviceInstance, d);
  };
  const tick = (current: string): void =>
    o.onProgress?.({ phase: 'who-is', done: ++done, total, found: found.size, current });
  if (o.broadcast) {
    keep(await client.whoIs(ask));
    tick('broadcast');
  }
  const queue = [...targets];
  const worker = async (): Promise<void> => {
    for (let address = queue.shift(); address !== undefined; address = queue.shift()) {
      keep(await client.whoIs({ ...ask, address }));
      tick(address);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 32) }, () => worker()));
  return [...found.values()].sort((a, b) => a.deviceInstance - b.deviceInstance);
}

export interface DescribedObject {
  object: ObjectRef;
  name: string;
  description: string;
  /** BACnetEngineeringUnits (analog objects), when the device has units. */
  units?: number;
  presentValue?: BacnetValue;
  /** Multi-state: state 1 first. */
  stateTexts?: string[];
  numberOfStates?: number;
  activeText?: string;
  inactiveText?: string;
  /** Has a priority array (§19.2). */
  commandable: boolean;
  relinquishDefault?: number;
  minPresValue?: number;
  maxPresValue?: number;
  /** Binary outputs and values (§12.7, §12.8): seconds. */
  minimumOnTime?: number;
  minimumOffTime?: number;
}

export interface DeviceDescription {
  device: DiscoveredDevice;
  name: string;
  vendorName?: string;
  modelName?: string;
  firmwareRevision?: string;
  applicationSoftwareVersion?: string;
  description?: string;
  location?: string;
  /** Protocol_Services_Supported lists ReadPropertyMultiple, and the device answered one. */
  rpm: boolean;
  /** Protocol_Services_Supported lists SubscribeCOV. */
  cov: boolean;
  segmentation: Segmentation;
  objects: DescribedObject[];
  /** Objects of types a profile point cannot be (schedules, trend logs, ...), by type. */
  skipped: Record<string, number>;
  /** What the reader learned about the device on the way (RPM refused, smaller batches). */
  learned: string[];
}

const DEVICE_PROPERTIES = [
  'object-name',
  'vendor-name',
  'model-name',
  'firmware-revision',
  'application-software-version',
  'description',
  'location',
  'protocol-services-supported',
  'segmentation-supported',
] as const;

/** Value sizes to plan batches with (§20.2): names and texts are strings of unknown length. */
const SIZE: Record<string, number> = {
  'object-name': 48,
  description: 64,
  'state-text': 160,
  'active-text': 24,
  'inactive-text': 24,
  'vendor-name': 48,
  'model-name': 48,
  'firmware-revision': 24,
  'application-software-version': 24,
  location: 48,
  'protocol-services-supported': 9,
};

/** The properties that describe a point object of this type. */
function pointProperties(type: string): string[] {
  const props = ['object-name', 'description', 'present-value'];
  if (type.startsWith('analog')) props.push('units', 'min-pres-value', 'max-pres-value');
  if (type.startsWith('multi-state')) props.push('number-of-states', 'state-text');
  if (type.startsWith('binary')) props.push('active-text', 'inactive-text');
  if (type === 'binary-output' || type === 'binary-value') props.push('minimum-on-time', 'minimum-off-time');
  if (!type.endsWith('-input')) props.push('relinquish-default');
  return props;
}

const OBJECTS_PER_READ = 16;

function str(m: Map<string, ItemOutcome>, key: string): string | undefined {
  const v = m.get(key)?.value;
  return typeof v === 'string' ? v : undefined;
}
function num(m: Map<string, ItemOutcome>, key: string): number | undefined {
  const v = m.get(key)?.value;
  return typeof v === 'number' ? v : undefined;
}

/** One point object from its properties as read; a state-text too large for one APDU is read element by element. */
async function describeObject(
  client: BacnetClient,
  address: string,
  object: ObjectRef,
  m: Map<string, ItemOutcome>,
  caps: ReadCapabilities,
): Promise<DescribedObject> {
  let stateTexts = m.get('state-text')?.value;
  if (m.get('state-text')?.error?.kind === 'abort') {
    stateTexts = await readArrayByElement(
      client,
      address,
      object,
      'state-text',
      caps,
      num(m, 'number-of-states'),
    );
  }
  const pa = m.get('pa1');
  return {
    object,
    name: str(m, 'object-name') || `${object.type} ${object.instance}`,
    description: str(m, 'description') ?? '',
    units: num(m, 'units'),
    presentValue: m.get('present-value')?.value,
    stateTexts: Array.isArray(stateTexts) ? stateTexts.map(String) : undefined,
    numberOfStates: num(m, 'number-of-states'),
    activeText: str(m, 'active-text'),
    inactiveText: str(m, 'inactive-text'),
    commandable: pa !== undefined && pa.error === undefined,
    relinquishDefault: num(m, 'relinquish-default'),
    minPresValue: num(m, 'min-pres-value'),
    maxPresValue: num(m, 'max-pres-value'),
    minimumOnTime: num(m, 'minimum-on-time'),
    minimumOffTime: num(m, 'minimum-off-time'),
  };
}

/** Reads what a profile needs to know about a device and each of its point objects. */
export async function describeDevice(
  client: BacnetClient,
  device: DiscoveredDevice,
  o: { onObject?: (done: number, total: number) => void } = {},
): Promise<DeviceDescription> {
  const address = device.address;
  const caps = new ReadCapabilities({ rpm: true, maxApdu: device.maxApdu });
  const dev: AnyObjectRef = { type: 'device', instance: device.deviceInstance };
  const read = (items: ReadItem[]): Promise<Map<string, ItemOutcome>> =>
    readBatched(client, address, items, caps).then((out) => new Map(out.map((x) => [x.key, x])));

  const d = await read(
    DEVICE_PROPERTIES.map((p) => ({ key: p, object: dev, property: p, valueSize: SIZE[p] })),
  );
  const services = d.get('protocol-services-supported')?.value;
  const supports = (bit: number): boolean => Array.isArray(services) && services[bit] === true;
  const seg = num(d, 'segmentation-supported');
  const segmentation: Segmentation =
    seg === undefined ? (device.segmentation as Segmentation) : segmentationName(seg);

  const list = await readObjectList(client, address, dev, caps);
  const skipped: Record<string, number> = {};
  const points: ObjectRef[] = [];
  for (const id of list) {
    const ref = parseObjectId(id);
    if (ref && ref.type !== 'device' && isPointObjectType(ref.type)) points.push(ref);
    else if (!ref || ref.type !== 'device') {
      const type = id.slice(0, id.lastIndexOf(':'));
      skipped[type] = (skipped[type] ?? 0) + 1;
    }
  }

  const objects: DescribedObject[] = [];
  // Several objects per read, so the batch reader can pack their properties into as few requests as fit.
  for (let start = 0; start < points.length; start += OBJECTS_PER_READ) {
    const group = points.slice(start, start + OBJECTS_PER_READ);
    const items = group.flatMap((object, g): ReadItem[] => [
      ...pointProperties(object.type).map((p) => ({
        key: `${g}|${p}`,
        object,
        property: p,
        valueSize: SIZE[p],
      })),
      // Commandable: the object has a priority array (§19.2); its first slot is enough to know.
      { key: `${g}|pa1`, object, property: { property: 'priority-array', index: 1 } },
    ]);
    const all = await read(items);
    for (const [g, object] of group.entries()) {
      const m = new Map(
        [...all].filter(([k]) => k.startsWith(`${g}|`)).map(([k, v]) => [k.slice(k.indexOf('|') + 1), v]),
      );
      objects.push(await describeObject(client, address, object, m, caps));
    }
    o.onObject?.(start + group.length, points.length);
  }
  return {
    device,
    name: str(d, 'object-name') || `device ${device.deviceInstance}`,
    vendorName: str(d, 'vendor-name'),
    modelName: str(d, 'model-name'),
    firmwareRevision: str(d, 'firmware-revision'),
    applicationSoftwareVersion: str(d, 'application-software-version'),
    description: str(d, 'description'),
    location: str(d, 'location'),
    rpm: caps.rpm && (services === undefined || supports(14)),
    cov: supports(5),
    segmentation,
    objects,
    skipped,
    learned: caps.events.map((e) => e.what),
  };
}

/** object-list (§12.11.13): whole, or element by element when it does not fit one APDU. */
async function readObjectList(
  client: BacnetClient,
  address: string,
  dev: AnyObjectRef,
  caps: ReadCapabilities,
): Promise<string[]> {
  try {
    const whole = await client.readProperty(address, dev, 'object-list');
    if (Array.isArray(whole)) return whole.map(String);
  } catch (err) {
    if ((err as { kind?: string }).kind !== 'abort') throw err;
  }
  return (await readArrayByElement(client, address, dev, 'object-list', caps)).map(String);
}

/** Element 0 is the array's length (§12.1.5), read with ReadProperty; then elements 1..n in as few requests as fit. */
async function readArrayByElement(
  client: BacnetClient,
  address: string,
  object: AnyObjectRef,
  property: string,
  caps: ReadCapabilities,
  knownLength?: number,
): Promise<BacnetValue[]> {
  const n = knownLength ?? Number(await client.readProperty(address, object, property, 0));
  if (!Number.isInteger(n) || n < 0) return [];
  const items: ReadItem[] = Array.from({ length: n }, (_, i) => ({
    key: String(i + 1),
    object,
    property: { property, index: i + 1 },
    valueSize: 48,
  }));
  const out = await readBatched(client, address, items, caps);
  return out.map((x) => x.value ?? null);
}
