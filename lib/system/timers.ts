// Timers for delays of any length. Node's setTimeout takes at most 2^31-1 ms (24.8 days)
// and fires at once, with a warning, beyond that: `sleep 30d` or a yearly `schedule` would
// run every millisecond. A long delay is waited out in steps of at most that.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** Calls `callback` after `milliseconds`, however many (negative and NaN mean at once). */
export function longTimeout(callback: () => void, milliseconds: number): LongTimer {
  const due = Date.now() + (Number.isFinite(milliseconds) ? Math.max(0, milliseconds) : 0);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : callback, Math.min(Math.max(0, left), MAX_TIMER_MS));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
