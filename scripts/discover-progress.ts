/**
 * Progress of `npm run discover` on stderr: a bar redrawn in place on a
 * terminal, plain lines (one per target answered or device read) otherwise,
 * so logs and CI output stay readable.
 */
import type { ScanProgress } from '#libs/bacnet';

export interface ProgressOut {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const WIDTH = 24;

export function bar(done: number, total: number, width = WIDTH): string {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export class Progress {
  private lastLine = '';
  private lastFound = 0;

  constructor(private readonly out: ProgressOut) {}

  update(p: ScanProgress): void {
    const label = p.phase === 'who-is' ? 'Who-Is ' : 'Reading';
    const unit = p.phase === 'who-is' ? 'targets' : 'devices';
    if (this.out.isTTY) {
      const line = `${label} ${bar(p.done, p.total)} ${p.done}/${p.total} ${unit} · ${p.found} found${p.current ? ` · ${p.current}` : ''}`;
      // A pseudo-terminal may report 0 columns: take that as unknown.
      const width = Math.max(20, (this.out.columns || 100) - 1);
      this.out.write(`\r${line.slice(0, width).padEnd(Math.min(width, this.lastLine.length))}`);
      this.lastLine = line.slice(0, width);
      return;
    }
    // Plain output: a line when a target brought a device, every 10 % of the targets, and per device read.
    const step = Math.max(1, Math.floor(p.total / 10));
    const worth =
      p.phase === 'read'
        ? p.current === undefined
        : p.found > this.lastFound || p.done % step === 0 || p.done === p.total;
    this.lastFound = p.found;
    if (worth) this.out.write(`${label.trim()} ${p.done}/${p.total} ${unit}, ${p.found} device(s) found\n`);
  }

  /** Ends the bar's line (a terminal) before other output. */
  done(): void {
    if (this.out.isTTY && this.lastLine) this.out.write('\n');
    this.lastLine = '';
  }
}
