// Work gathered over one turn of the event loop and done once at its end: the messages of a
// mail-action batch finish in the same turn, and their commits go in one transaction rather
// than one each. Each caller's promise settles once the shared work is done.

export class PerTurn<T> {
  private gathered: { items: T[]; waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> } | undefined;

  /** `flush` does the work for all the items of a turn; a throw fails every caller of that turn. */
  constructor(private readonly flush: (items: T[]) => void) {}

  add(...items: T[]): Promise<void> {
    if (!this.gathered) {
      const turn: NonNullable<PerTurn<T>['gathered']> = { items: [], waiting: [] };
      this.gathered = turn;
      setImmediate(() => {
        this.gathered = undefined;
        try {
          this.flush(turn.items);
          for (const waiter of turn.waiting) waiter.resolve();
        } catch (error) {
          for (const waiter of turn.waiting) waiter.reject(error);
        }
      });
    }
    const turn = this.gathered;
    turn.items.push(...items);
    return new Promise((resolve, reject) => turn.waiting.push({ resolve, reject }));
  }
}
