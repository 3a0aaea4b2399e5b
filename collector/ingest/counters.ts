/** What happened to incoming events: accepted, or dropped and why (bots are counted, never stored). */
export class Counters {
  accepted = 0
  readonly dropped = new Map<string, number>()

  accept(n = 1): void {
    this.accepted += n
  }

  drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1)
  }
}
