/**
 * `npm run discover` against the demo building: the simulator's BACnet
 * devices (sites/demo-office.yaml) started in-process on free ports, found by
 * directed Who-Is, described, drafted and written as the script writes them,
 * then validated with libs/profiles. The drafts must give back what the
 * demo's own profiles say about each object: its name, kind, unit, states,
 * and which objects are commandable with which fail-safe.
 */
import fs from 'node:fs';
import os from 'node:os';
import path, { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, discover } from '#libs/bacnet';
import type { DiscoverResult } from '#libs/bacnet';
import { findRepoRoot, loadProfile, loadSite } from '#libs/profiles';
import type { LoadedSite, Profile } from '#libs/profiles';
import { writeDrafts } from '../../../../scripts/discover-files.js';
import { Simulator } from '../simulator.js';

const root = findRepoRoot();
let sim: Simulator;
let site: LoadedSite;
let client: BacnetClient;
let result: DiscoverResult;
let out: string;

beforeAll(async () => {
  const demo = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
  sim = await Simulator.start({
    site: {
      ...demo,
      devices: demo.devices
        .filter((d) => d.bacnet)
        .map((d) => ({ ...d, bacnet: { ...d.bacnet!, address: '127.0.0.1:0' } })),
    },
    control: null,
    tickMs: 60_000,
  });
  site = sim.resolvedSite();
  client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
  await client.start();
  result = await discover(client, {
    targets: site.devices.map((d) => d.bacnet!.address),
    waitMs: 300,
    siteName: 'Harbourside Office (discovered)',
    timeZone: 'Europe/Berlin',
    date: '2026-01-01',
  });
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-discover-'));
}, 20000);

afterAll(async () => {
  await client?.close();
  await sim?.close();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

describe('discovery of the demo building', () => {
  it('finds every BACnet device of the demo at its address, and skips none', () => {
    expect(result.found.map((d) => [d.deviceInstance, d.address])).toEqual(
      site.devices.map((d) => [d.bacnet!.deviceInstance, d.bacnet!.address]),
    );
    expect(result.skipped).toEqual([]);
  });

  it('writes one draft per model and a site entry per device, all valid for libs/profiles', () => {
    const written = writeDrafts(result, out);
    expect(written.issues).toEqual([]);
    expect(written.profileFiles.map((f) => path.relative(out, f)).sort()).toEqual([
      'bacnet/johnson-controls/fec-field-equipment-controller-metasys-cct-air-h.yaml',
      'bacnet/johnson-controls/m4-cvm03050-0-metasys-cct-single-duct-vav-applic.yaml',
      'bacnet/lutron/quantum-area-virtual-device-quantum-bacnet-integ.yaml',
    ]);
    const drafted = loadSite(written.siteFile, out);
    expect(drafted.devices.map((d) => [d.id, d.bacnet])).toEqual(
      site.devices.map((d) => [expect.any(String), d.bacnet]),
    );
    expect(drafted.devices.map((d) => d.name)).toEqual(site.devices.map((d) => d.name));
    expect(new Set(drafted.devices.filter((d) => d.name.startsWith('VAV')).map((d) => d.profile)).size).toBe(
      1,
    );
  });

  it.each([
    ['vav-1-01', 'bacnet/johnson-controls/cvm-vav.yaml'],
    ['ahu-1', 'bacnet/johnson-controls/fec-ahu.yaml'],
    ['lighting-l2', 'bacnet/lutron/quantum-area.yaml'],
  ])('the draft for %s gives back what %s says of each object', (deviceId, file) => {
    const demo: Profile = loadProfile(resolve(root, 'hardware-profiles', file));
    const instance = site.devices.find((d) => d.id === deviceId)!.bacnet!.deviceInstance;
    const drafted = result.profiles.find((p) => p.deviceInstances.includes(instance))!.profile;
    expect([drafted.vendor, drafted.model]).toEqual([demo.vendor, demo.model]);
    expect(drafted.bacnet).toMatchObject({
      readPropertyMultiple: demo.bacnet!.readPropertyMultiple,
      cov: demo.bacnet!.cov,
      maxApdu: demo.bacnet!.maxApdu ?? 1476,
      vendorId: demo.bacnet!.vendorId,
    });
    const key = (p: Profile['points'][number]): string => `${p.bacnet!.objectType}:${p.bacnet!.instance}`;
    const ofDemo = new Map(demo.points.map((p) => [key(p), p]));
    expect(drafted.points.map(key).sort()).toEqual([...ofDemo.keys()].sort());
    for (const p of drafted.points) {
      const d = ofDemo.get(key(p))!;
      const commandable =
        d.bacnet!.commandable ?? (d.access === 'write' && d.bacnet!.objectType.endsWith('-output'));
      expect({ id: d.id, name: p.name, kind: p.kind, unit: p.unit, states: p.states }).toEqual({
        id: d.id,
        name: d.name,
        kind: d.kind,
        unit: d.unit,
        states: d.states,
      });
      // Commandable objects are drafted writable with the device's relinquish default (the demo's fail-safe);
      // the rest read-only, whatever the demo allows, because nothing on the wire says writing them is safe.
      expect({ id: d.id, access: p.access, failSafe: p.failSafe }).toEqual({
        id: d.id,
        access: commandable ? 'write' : 'read',
        failSafe: commandable ? d.failSafe : undefined,
      });
    }
  });
});
