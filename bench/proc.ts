// CPU and memory of a process tree, read from Linux /proc: what each process of the service costs.
import { readdirSync, readFileSync } from 'node:fs';

/** /proc reports CPU time in clock ticks; Linux's USER_HZ is 100 on every mainstream architecture. */
const TICK_MS = 10;

export interface ProcSample {
  pid: number;
  name: string;
  /** User + system CPU time so far, ms. */
  cpuMs: number;
  rssMb: number;
  /** Proportional set size: pages shared with other processes (the same Node binary under npm and the service) count once across them. */
  pssMb: number;
}

function stat(pid: number): { ppid: number; name: string; cpuMs: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name sits in parentheses and may hold spaces; the numbered fields follow the last ')'.
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), name, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function pssMb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The root and all its descendants, each with its CPU so far and its RSS now. */
export function sampleTree(root: number): ProcSample[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const info = stat(pid);
    if (info) parents.set(info.ppid, [...(parents.get(info.ppid) ?? []), pid]);
  }
  const out: ProcSample[] = [];
  const visit = (pid: number) => {
    const info = stat(pid);
    if (!info) return;
    out.push({ pid, name: info.name, cpuMs: info.cpuMs, rssMb: rssMb(pid), pssMb: pssMb(pid) });
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}

/** CPU ms spent by each process between two samples of the same tree, keyed by process name. */
export function cpuBetween(before: ProcSample[], after: ProcSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of after) {
    const start = before.find((b) => b.pid === sample.pid)?.cpuMs ?? 0;
    out[sample.name] = (out[sample.name] ?? 0) + sample.cpuMs - start;
  }
  return out;
}
