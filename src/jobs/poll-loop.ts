/**
 * A worker's loop: runs `tick` until stopped, again at once when it says more is waiting or the loop was woken while it
 * ran, else after `idleMs` (or sooner, when woken). A failing tick is reported and tried again at the next round.
 */
export class PollLoop {
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #pendingWake = false;

  constructor(
    private readonly tick: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Work arrived: look now instead of at the next poll. */
  wake(): void {
    this.#pendingWake = true;
    this.#wake?.();
  }

  /** Stops polling; resolves when the tick in progress has returned. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let more = false;
      try {
        this.#pendingWake = false;
        more = await this.tick();
      } catch (error) {
        this.onError(error);
      }
      if (!this.#running || this.#pendingWake || more) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.idleMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
