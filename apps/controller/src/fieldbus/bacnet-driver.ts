/**
 * BACnet/IP adapter of the driver port: ReadPropertyMultiple in batches where
 * the profile says the device supports it, ReadProperty otherwise. One client
 * socket for the whole controller, bound to the configured endpoint.
 */
import { BacnetError } from '#libs/bacnet';
import type { BacnetClient, BacnetValue, ObjectRef } from '#libs/bacnet';
import type { PointDef } from '#libs/profiles';
import { tidy } from './engineering.js';
import type { DeviceContext, FieldbusDriver, PointReadOutcome } from './fieldbus-driver.js';

/** Objects per RPM request; conservative for a 480-byte APDU (issue 3 sizes it from max APDU). */
const RPM_BATCH = 16;

export class BacnetDriver implements FieldbusDriver {
  readonly protocol = 'bacnet' as const;
  private started?: Promise<void>;

  constructor(private readonly client: BacnetClient) {}

  async connect(): Promise<void> {
    this.started ??= this.client.start();
    await this.started;
  }

  async readMany(device: DeviceContext, points: readonly PointDef[]): Promise<PointReadOutcome[]> {
    await this.connect();
    const address = device.site.bacnet!.address;
    const ref = (p: PointDef): ObjectRef => ({ type: p.bacnet!.objectType, instance: p.bacnet!.instance });
    const out: PointReadOutcome[] = [];
    if (device.profile.bacnet?.readPropertyMultiple) {
      for (let i = 0; i < points.length; i += RPM_BATCH) {
        const batch = points.slice(i, i + RPM_BATCH);
        const results = await this.client.readPropertyMultiple(
          address,
          batch.map((p) => ({ object: ref(p), properties: ['present-value'] })),
        );
        batch.forEach((p, j) => {
          const r =
            results.find(
              (x) => x.object.type === p.bacnet!.objectType && x.object.instance === p.bacnet!.instance,
            ) ?? results[j];
          if (!r || r.error)
            out.push({
              pointId: p.id,
              error: r?.error ? `${r.error.errorClass}/${r.error.errorCode}` : 'no result',
            });
          else out.push(toOutcome(p, r.value));
        });
      }
      return out;
    }
    for (const p of points) {
      try {
        out.push(toOutcome(p, await this.client.readProperty(address, ref(p), 'present-value')));
      } catch (err) {
        // The device answered with an error for this object: only this point fails.
        if (err instanceof BacnetError && err.kind === 'error')
          out.push({ pointId: p.id, error: err.message });
        else throw err;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function toOutcome(p: PointDef, v: BacnetValue | undefined): PointReadOutcome {
  if (typeof v === 'number') return { pointId: p.id, value: tidy(v, p) };
  if (typeof v === 'boolean') return { pointId: p.id, value: v ? 1 : 0 };
  return { pointId: p.id, error: `unexpected present-value ${JSON.stringify(v)}` };
}
