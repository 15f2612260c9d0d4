/**
 * "Can we talk to this device as its profile says?" — connect, then read one
 * point of each table the profile uses (coils, discrete inputs, holding and
 * input registers: MODBUS 1.1b3 §4.3), and show the read plan the limits
 * allow. Each check reports on its own, so a device that answers holding
 * registers but refuses coils says exactly that.
 */
import { errorInfo } from '#libs/fieldbus';
import type { DeviceContext, FieldbusDriver, SelfTestReport } from '#libs/fieldbus';
import { planReads } from '#libs/modbus';
import type { PlanLimits } from '#libs/modbus';
import { planItem } from './modbus-points.js';

const TABLES = { 1: 'coils', 2: 'discrete inputs', 3: 'holding registers', 4: 'input registers' } as const;

export async function modbusSelfTest(
  driver: FieldbusDriver,
  device: DeviceContext,
  limits: PlanLimits,
): Promise<SelfTestReport> {
  const checks: SelfTestReport['checks'] = [];
  const ep = device.site.modbus!;
  const where = ep.transport === 'tcp' ? `${ep.host}:${ep.port}` : ep.path;
  try {
    await driver.connect(device);
    checks.push({ name: 'connect', ok: true, detail: `${ep.transport} ${where} unit ${ep.unitId}` });
  } catch (err) {
    const e = errorInfo(err);
    checks.push({ name: 'connect', ok: false, detail: `${e.code}: ${e.message}` });
    return { deviceId: device.site.id, ok: false, checks };
  }
  for (const table of [1, 2, 3, 4] as const) {
    const point = device.profile.points.find((p) => p.modbus?.function === table);
    if (!point) continue;
    const name = `read ${TABLES[table]}`;
    try {
      const [outcome] = await driver.readMany(device, [point]);
      if (outcome.error)
        checks.push({
          name,
          ok: false,
          detail: `${point.id}: ${outcome.error.code}: ${outcome.error.message}`,
        });
      else checks.push({ name, ok: true, detail: `${point.id} = ${outcome.value}` });
    } catch (err) {
      const e = errorInfo(err);
      checks.push({ name, ok: false, detail: `${point.id}: ${e.code}: ${e.message}` });
    }
  }
  const plan = planReads(
    device.profile.points.map((p) => planItem(device.profile, p)),
    limits,
  );
  checks.push({
    name: 'read plan',
    ok: true,
    detail: `${device.profile.points.length} point(s) in ${plan.length} request(s) (max ${limits.maxRegisters} registers, ${limits.maxBits} bits, gap ${limits.maxGap})`,
  });
  return { deviceId: device.site.id, ok: checks.every((c) => c.ok), checks };
}
