/**
 * "Can we talk to this device as its profile says?" for BACnet: the device
 * answers Who-Is for its instance (and says its max APDU and segmentation),
 * its device object reads, ReadPropertyMultiple and COV are there when the
 * profile relies on them, one object of each type the profile uses reads, and
 * the profile's commandable objects have a priority array.
 */
import type { BacnetValue } from '#libs/bacnet';
import { errorInfo } from '#libs/fieldbus';
import type { DeviceContext, SelfTestReport } from '#libs/fieldbus';
import type { PointDef } from '#libs/profiles';
import { toFieldbusError } from './bacnet-errors.js';
import type { BacnetLink, BacnetLinks, BacnetPort } from './bacnet-link.js';
import { isCommandable, objectOf } from './bacnet-points.js';

type Check = SelfTestReport['checks'][number];

/** Bits of Protocol_Services_Supported (ASHRAE 135 §21 BACnetServicesSupported). */
const SERVICE_BIT = { subscribeCov: 5, readPropertyMultiple: 14 } as const;

export async function bacnetSelfTest(
  client: BacnetPort,
  links: BacnetLinks,
  device: DeviceContext,
  link: BacnetLink,
  readPriorityArray: (p: PointDef) => Promise<unknown>,
): Promise<SelfTestReport> {
  const checks: Check[] = [];
  const quirks = device.profile.bacnet!;
  const dev = { type: 'device' as const, instance: link.deviceInstance };
  const read = (obj: Parameters<BacnetPort['readProperty']>[1], property: string): Promise<BacnetValue> =>
    links.request(link, 'poll', (address) => client.readProperty(address, obj, property));
  const attempt = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    try {
      checks.push({ name, ok: true, detail: await run() });
      return true;
    } catch (err) {
      const e = errorInfo(toFieldbusError(err));
      checks.push({ name, ok: false, detail: `${e.code}: ${e.message}` });
      return false;
    }
  };

  const found = await client.whoIs({
    address: link.siteAddress,
    lowLimit: link.deviceInstance,
    highLimit: link.deviceInstance,
    waitMs: client.requestTimeoutMs,
  });
  const iAm = found[0];
  if (iAm) link.caps.setMaxApdu(iAm.maxApdu);
  const apduOk = !iAm || quirks.maxApdu === undefined || quirks.maxApdu <= iAm.maxApdu;
  checks.push({
    name: 'i-am',
    // No I-Am is worth a look but no failure: some devices answer only broadcast Who-Is; the reads below decide.
    ok: apduOk,
    detail: iAm
      ? `device ${iAm.deviceInstance} at ${iAm.address}: max APDU ${iAm.maxApdu}, segmentation ${iAm.segmentation}, vendor ${iAm.vendorId}` +
        (apduOk ? '' : `; the profile says max APDU ${quirks.maxApdu}, more than the device takes`)
      : `no I-Am for device ${link.deviceInstance} from ${link.siteAddress} (some devices answer only broadcast Who-Is)`,
  });

  const reachable = await attempt(
    'device-object',
    async () => `object-name "${String(await read(dev, 'object-name'))}"`,
  );
  if (!reachable) return { deviceId: device.site.id, ok: false, checks };

  await attempt('services', async () => {
    const bits = await read(dev, 'protocol-services-supported');
    const has = (bit: number): boolean => Array.isArray(bits) && bits[bit] === true;
    const missing: string[] = [];
    if (quirks.readPropertyMultiple && !has(SERVICE_BIT.readPropertyMultiple))
      missing.push('ReadPropertyMultiple');
    if (quirks.cov && !has(SERVICE_BIT.subscribeCov)) missing.push('SubscribeCOV');
    if (missing.length > 0)
      throw new Error(`the profile relies on ${missing.join(' and ')}, the device does not list it`);
    return `RPM ${has(SERVICE_BIT.readPropertyMultiple) ? 'yes' : 'no'}, COV ${has(SERVICE_BIT.subscribeCov) ? 'yes' : 'no'}`;
  });

  const firstOfType = new Map<string, PointDef>();
  for (const p of device.profile.points)
    if (p.bacnet && !firstOfType.has(p.bacnet.objectType)) firstOfType.set(p.bacnet.objectType, p);
  for (const [type, p] of firstOfType) {
    await attempt(
      `read ${type}`,
      async () => `${p.id}: present-value ${JSON.stringify(await read(objectOf(p), 'present-value'))}`,
    );
  }
  const commandable = device.profile.points.find(isCommandable);
  if (commandable) {
    await attempt('priority-array', async () => {
      await readPriorityArray(commandable);
      return `${commandable.id}: priority-array read`;
    });
  }
  const learned = link.caps.events.map((e) => e.what);
  checks.push({
    name: 'learned',
    ok: true,
    detail: learned.length
      ? learned.join('; ')
      : `RPM ${link.caps.rpm ? 'on' : 'off'}, answer budget ${link.caps.budget} octets`,
  });
  return { deviceId: device.site.id, ok: checks.every((c) => c.ok), checks };
}
