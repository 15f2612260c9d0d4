/**
 * Device address binding (ASHRAE 135 §16.10, Annex J): device instance →
 * B/IP address, learned from every I-Am the client hears, asked for or not.
 * An I-Am from a new address moves the binding (a device re-addressed by
 * DHCP, replaced, or seen again through a BBMD), so later requests follow the
 * device. An I-Am forwarded by a BBMD binds the originator's own address, not
 * the BBMD's (STACK.md trap 6).
 */
import type { DiscoveredDevice } from './types.js';

export interface Binding extends DiscoveredDevice {
  /** Epoch ms of the last I-Am. */
  seenAt: number;
}

export class DeviceBindings {
  private readonly byInstance = new Map<number, Binding>();
  private readonly moveListeners = new Set<(b: Binding, from: string) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records an I-Am; returns the previous address when the device moved. */
  learn(d: DiscoveredDevice): string | undefined {
    const before = this.byInstance.get(d.deviceInstance);
    const b: Binding = { ...d, seenAt: this.now() };
    this.byInstance.set(d.deviceInstance, b);
    if (before && before.address !== d.address) {
      for (const l of [...this.moveListeners]) l(b, before.address);
      return before.address;
    }
    return undefined;
  }

  get(deviceInstance: number): Binding | undefined {
    return this.byInstance.get(deviceInstance);
  }

  all(): Binding[] {
    return [...this.byInstance.values()];
  }

  /** Called when a device's I-Am comes from a new address. Returns an unsubscribe function. */
  onMove(cb: (b: Binding, from: string) => void): () => void {
    this.moveListeners.add(cb);
    return () => this.moveListeners.delete(cb);
  }
}
