// Work gathered over one turn of the event loop and done once at its end: the messages of a
// mail-action batch finish in the same turn, and their commits go in one transaction rather
// than one each. Each caller's promise settles once the shared work is done.

export class PerTurn<T, R = void> {
  private gathered: { items: T[]; waiting: Array<{ resolve: (result: R) => void; reject: (error: unknown) => void }> } | undefined;

  /**
   * `flush` does the work for all the items of a turn and returns each one's result, in
   * their order (nothing, for work without results); a throw fails every caller of that turn.
   */
  constructor(private readonly flush: (items: T[]) => R[] | void) {}

  add(item: T): Promise<R> {
    if (!this.gathered) {
      const turn: NonNullable<PerTurn<T, R>['gathered']> = { items: [], waiting: [] };
      this.gathered = turn;
      setImmediate(() => {
        this.gathered = undefined;
        try {
          const results = this.flush(turn.items);
          turn.waiting.forEach((waiter, index) => waiter.resolve(results ? results[index]! : undefined as R));
        } catch (error) {
          for (const waiter of turn.waiting) waiter.reject(error);
        }
      });
    }
    const turn = this.gathered;
    turn.items.push(item);
    return new Promise((resolve, reject) => turn.waiting.push({ resolve, reject }));
  }
}
