/**
 * A secret (the lab's discovery key) that does not end up in logs: printing
 * it, JSON-encoding it or inspecting it shows only its length. Read the octets
 * with `reveal()`, only where they are used.
 */
import { inspect } from 'node:util';

export class Secret {
  readonly #value: Buffer;

  constructor(value: Buffer) {
    this.#value = Buffer.from(value);
  }

  get length(): number {
    return this.#value.length;
  }

  reveal(): Buffer {
    return this.#value;
  }

  toString(): string {
    return `[secret, ${this.#value.length} octets]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
