// Whether a process id names a live process: signal 0 probes it without signalling it (the stack
// lock in start.ts, and `liaison status` on the stack's services).

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
