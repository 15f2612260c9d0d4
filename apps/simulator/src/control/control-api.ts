/**
 * The simulator's control API (default 127.0.0.1:8070): the devices' true
 * state, and fault injection. Plain node:http: the simulator is test
 * equipment, and a framework would only add start-up time.
 *
 *   GET    /devices                 every device with its points
 *   GET    /devices/{id}            one device; commandable points show their priority array
 *   GET    /devices/{id}/faults     the faults in force
 *   PUT    /devices/{id}/faults     replace them: {offline, delayMs, exceptionCode, garbage, stuck: {point: value}, outOfRange: [point]}
 *   DELETE /devices/{id}/faults     clear them
 * Errors are RFC 9457 problem details.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProblemDetails, SimDeviceState, SimFaults } from '#libs/contracts';
import { FaultError } from '../devices/sim-device.js';
import type { SimDevice } from '../devices/sim-device.js';

interface DeviceDirectory {
  device(id: string): SimDevice | undefined;
  states(): SimDeviceState[];
}

const MAX_BODY = 64 * 1024;
const FAULT_KEYS = new Set(['offline', 'delayMs', 'exceptionCode', 'garbage', 'stuck', 'outOfRange']);

export class ControlApi {
  private server?: Server;

  constructor(private readonly sim: DeviceDirectory) {}

  async listen(host: string, port: number): Promise<string> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) =>
        problem(res, 500, 'Internal error', err instanceof Error ? err.message : String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return `http://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'devices' || parts.length > 3)
      return problem(res, 404, 'Not found', `no route ${url.pathname}`);
    if (parts.length === 1) return req.method === 'GET' ? json(res, 200, this.sim.states()) : notAllowed(res);
    const device = this.sim.device(parts[1]);
    if (!device) return problem(res, 404, 'Unknown device', `no device "${parts[1]}"`);
    if (parts.length === 2) return req.method === 'GET' ? json(res, 200, device.state()) : notAllowed(res);
    if (parts[2] !== 'faults') return problem(res, 404, 'Not found', `no route ${url.pathname}`);
    switch (req.method) {
      case 'GET':
        return json(res, 200, device.faults());
      case 'DELETE':
        device.setFaults({});
        return json(res, 200, device.faults());
      case 'PUT': {
        const body = await readJson(req);
        const faults = parseFaults(body);
        if (typeof faults === 'string') return problem(res, 400, 'Invalid faults', faults);
        try {
          device.setFaults(faults);
        } catch (err) {
          if (err instanceof FaultError)
            return problem(res, 400, 'Invalid faults', `${err.field}: ${err.message}`);
          throw err;
        }
        return json(res, 200, device.faults());
      }
      default:
        return notAllowed(res);
    }
  }
}

/** Shape checks; the device checks point ids and ranges. Returns an error text or the faults. */
function parseFaults(body: unknown): SimFaults | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FAULT_KEYS.has(k));
  if (unknown.length) return `unknown field(s): ${unknown.join(', ')}`;
  for (const k of ['offline', 'garbage'] as const)
    if (b[k] !== undefined && typeof b[k] !== 'boolean') return `${k}: must be a boolean`;
  for (const k of ['delayMs', 'exceptionCode'] as const)
    if (b[k] !== undefined && typeof b[k] !== 'number') return `${k}: must be a number`;
  if (b.stuck !== undefined) {
    if (typeof b.stuck !== 'object' || b.stuck === null || Array.isArray(b.stuck))
      return 'stuck: must be an object';
    for (const [k, v] of Object.entries(b.stuck))
      if (typeof v !== 'number') return `stuck.${k}: must be a number`;
  }
  if (
    b.outOfRange !== undefined &&
    (!Array.isArray(b.outOfRange) || b.outOfRange.some((x) => typeof x !== 'string'))
  )
    return 'outOfRange: must be an array of point ids';
  return b;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  const body: ProblemDetails = { type: 'about:blank', title, status, detail };
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify(body));
}

function notAllowed(res: ServerResponse): void {
  problem(res, 405, 'Method not allowed', 'see GET /devices for the routes');
}
