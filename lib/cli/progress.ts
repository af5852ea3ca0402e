// A long sr action's progress (declare, cleanup, quarantine retry): on a
// terminal, one line on stderr redrawn in place ("cleanup: 3/12 poll/x"), cleared before
// each result line so the two never mix; without a terminal (cron, a pipe, a log) nothing
// is drawn and the action's plain result lines, one per step, say the same.
import type { CliContext } from './context.js';

const CLEAR = '\r\x1b[K';

export class ActionProgress {
  /** steps begun so far: the one in hand is the last */
  private begun = 0;
  /** the name of the step in hand */
  private last = '';
  private drawn = false;

  constructor(private readonly context: CliContext, private readonly action: string, private readonly total: number) {
    this.draw('');
  }

  /** Says a result line (stdout, or stderr when `error`), the progress line kept below it. */
  say(line: string, error = false): void {
    this.clear();
    (error ? this.context.err : this.context.out)(line);
    this.draw(this.last);
  }

  /** The next step begins; `what` names it on the progress line ("cleanup: 2/3 poll/b"). */
  step(what: string): void {
    this.begun += 1;
    this.last = what;
    this.draw(what);
  }

  /** The line is taken away: the action's last words are plain lines. */
  end(): void {
    this.clear();
  }

  private draw(what: string): void {
    const terminal = this.context.terminal;
    if (!terminal || this.total < 2) return;
    const text = `${this.action}: ${this.begun}/${this.total}${what ? ` ${what}` : ''}`;
    terminal.write(`${CLEAR}${text.slice(0, Math.max(20, (terminal.columns ?? 80) - 1))}`);
    this.drawn = true;
  }

  private clear(): void {
    if (!this.drawn) return;
    this.context.terminal?.write(CLEAR);
    this.drawn = false;
  }
}

/** Runs `work` with a progress line for `total` steps, taken away whatever happens. */
export async function withProgress<T>(context: CliContext, action: string, total: number, work: (progress: ActionProgress) => Promise<T>): Promise<T> {
  const progress = new ActionProgress(context, action, total);
  try {
    return await work(progress);
  } finally {
    progress.end();
  }
}
