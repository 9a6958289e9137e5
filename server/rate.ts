/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
    this.#at = performance.now();
  }

  /** Takes one token; false when there is none (the caller refuses the action). */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
