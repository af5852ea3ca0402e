// Whether a process exists, for the supervisor (instances) and the local broker (consumers).

/** True when a process with this pid exists, even one of another user (EPERM). Zombies count. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
