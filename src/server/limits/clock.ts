/** Where budgets and sign-in windows read the time; tests move it forward instead of sleeping. */
export interface Clock {
  now(): number;
}

/** The wall clock plus an offset that only tests change. */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
