/**
 * The client's sending budget: a token bucket mirroring the server's rate limit
 * (`messagesPerSecond`, `messageBurst`) with a margin, so that the server does not refuse messages
 * as RATE_LIMITED. Every message goes out through it; when it runs dry, sending is paced.
 */
import type { Limits } from '../shared/index.js';
import type { ClientTransport } from './transport.js';

/** The share of the server's rate and burst the client allows itself. */
const MARGIN = 0.8;

/** Sends messages within the server's rate limit, kept with a margin (refilled at 80% of its rate). */
export class SendBudget {
  #tokens = 0;
  #tokensAt = 0;
  #paced: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: ClientTransport,
    /** The server's limits, from its last welcome. */
    private readonly limits: () => Limits,
  ) {}

  /** Whether a paced send is scheduled (nothing more should go before it). */
  get paced(): boolean {
    return this.#paced !== undefined;
  }

  /** A new connection: the server's bucket starts full, and so does this one. */
  refill(): void {
    this.#tokens = this.limits().messageBurst * MARGIN;
    this.#tokensAt = Date.now();
  }

  /** Refills the budget for the time passed; returns how many messages may go now. */
  available(): number {
    const now = Date.now();
    const rate = this.limits().messagesPerSecond * MARGIN;
    this.#tokens = Math.min(this.limits().messageBurst * MARGIN, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    return Math.floor(this.#tokens);
  }

  /** Sends one message, spending `cost` tokens of the budget. */
  send(event: string, payload: unknown, cost = 1): void {
    this.#tokens -= cost;
    this.transport.send(event, payload);
  }

  /** The budget ran out with more to send: calls `retry` once it has refilled by about one message. */
  pace(retry: () => void): void {
    const rate = this.limits().messagesPerSecond * MARGIN;
    this.#paced = setTimeout(() => {
      this.#paced = undefined;
      retry();
    }, Math.max(10, Math.ceil(1000 / rate)));
  }

  /** Cancels a paced send. */
  stop(): void {
    clearTimeout(this.#paced);
    this.#paced = undefined;
  }
}
