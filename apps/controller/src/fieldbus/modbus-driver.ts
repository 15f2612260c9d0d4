/**
 * Modbus TCP/RTU adapter of the driver port: plans the fewest reads the
 * device's limits allow (libs/modbus planner) and decodes each point with its
 * profile encoding. One client per endpoint (host:port or serial path); the
 * client serializes requests, so units behind one gateway share it safely.
 */
import { ModbusClient, ModbusError, decodeRegisters, planReads, registerCount } from '#libs/modbus';
import type { PlanItem } from '#libs/modbus';
import { effectiveEncoding, pduAddress } from '#libs/profiles';
import type { ModbusDataType, PointDef } from '#libs/profiles';
import { tidy } from './engineering.js';
import type { DeviceContext, FieldbusDriver, PointReadOutcome } from './fieldbus-driver.js';

const DEFAULT_TIMEOUT_MS = 1000;

export class ModbusDriver implements FieldbusDriver {
  readonly protocol = 'modbus' as const;
  private readonly clients = new Map<string, Promise<ModbusClient>>();

  async connect(device: DeviceContext): Promise<void> {
    await this.client(device);
  }

  async readMany(device: DeviceContext, points: readonly PointDef[]): Promise<PointReadOutcome[]> {
    const { profile, site } = device;
    const unitId = site.modbus!.unitId;
    const byId = new Map(points.map((p) => [p.id, p]));
    const items: PlanItem[] = points.map((p) => ({
      key: p.id,
      table: p.modbus!.function,
      address: pduAddress(profile, p),
      count: p.modbus!.function <= 2 ? 1 : registerCount(p.dataType as ModbusDataType),
    }));
    const q = profile.modbus!;
    const plan = planReads(items, {
      maxRegisters: q.maxRegistersPerRequest ?? 125,
      maxBits: q.maxBitsPerRequest ?? 2000,
      maxGap: q.maxGap ?? 8,
    });
    const client = await this.client(device);
    const out: PointReadOutcome[] = [];
    for (const req of plan) {
      try {
        if (req.table === 1 || req.table === 2) {
          const bits = await client.readBits(unitId, req.table, req.address, req.count);
          for (const item of req.items)
            out.push({ pointId: item.key, value: bits[item.address - req.address] ? 1 : 0 });
        } else {
          const regs = await client.readRegisters(unitId, req.table, req.address, req.count);
          for (const item of req.items) {
            const p = byId.get(item.key)!;
            const words = regs.slice(item.address - req.address, item.address - req.address + item.count);
            const enc = {
              dataType: p.dataType as ModbusDataType,
              ...effectiveEncoding(profile, p),
              bit: p.modbus!.bit,
            };
            out.push({ pointId: item.key, value: tidy(decodeRegisters(words, enc), p) });
          }
        }
      } catch (err) {
        // The device answered with an exception: only this block's points fail.
        if (err instanceof ModbusError && err.kind === 'exception') {
          for (const item of req.items) out.push({ pointId: item.key, error: err.message });
          continue;
        }
        if (err instanceof ModbusError && err.kind === 'connection') this.drop(device);
        throw err;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }

  private client(device: DeviceContext): Promise<ModbusClient> {
    const key = endpointKey(device);
    let c = this.clients.get(key);
    if (!c) {
      const ep = device.site.modbus!;
      // A dead device must cost at most one poll interval, so an outage shows within a few polls.
      const timeoutMs = Math.min(
        device.profile.modbus?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        device.site.pollIntervalMs,
      );
      c =
        ep.transport === 'tcp'
          ? ModbusClient.connectTcp({ host: ep.host, port: ep.port, timeoutMs })
          : ModbusClient.connectRtu({ path: ep.path, baudRate: ep.baudRate, parity: ep.parity, timeoutMs });
      // A failed connect is forgotten so the next poll tries again.
      c.catch(() => this.clients.delete(key));
      this.clients.set(key, c);
    }
    return c;
  }

  private drop(device: DeviceContext): void {
    const key = endpointKey(device);
    const c = this.clients.get(key);
    this.clients.delete(key);
    c?.then((x) => x.close()).catch(() => undefined);
  }
}

function endpointKey(device: DeviceContext): string {
  const ep = device.site.modbus!;
  return ep.transport === 'tcp' ? `tcp:${ep.host}:${ep.port}` : `rtu:${ep.path}`;
}
