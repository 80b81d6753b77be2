/**
 * Match keys an import has met, kept as 64-bit hashes in typed arrays instead of strings in a Map:
 * 11 to 21 bytes per key in a set, 32 to 64 with a record id beside it (`KeyHashes.records`),
 * instead of about 200: about 100 MB for a file of the largest plan's size (2,000,000 rows) instead
 * of 400. Two keys share a hash with a chance of about n²/2⁶⁵ (one in 10⁷ for two million keys).
 */

/** Two 32-bit lanes over the UTF-16 units, each with its own multiplier, then murmur3's finaliser mixing both. */
export function hashKey(text: string): KeyHash {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
  }
  a = finish(a ^ text.length ^ Math.imul(b, 0x27d4eb2f));
  b = finish(b ^ Math.imul(a, 0x165667b1));
  // 0/0 marks a free slot.
  return a === 0 && b === 0 ? { high: 0, low: 1 } : { high: a >>> 0, low: b >>> 0 };
}

export interface KeyHash {
  readonly high: number;
  readonly low: number;
}

function finish(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

const FIRST_SLOTS = 1024;

/**
 * An open-addressing table of key hashes (linear probing, doubled at three quarters full), with an
 * optional value beside each: a set of keys, a map from a key to another key's hash, or a map from
 * a key to a record's id (a UUID, as four words).
 */
export class KeyHashes {
  private slots: Uint32Array;
  private mask: number;
  private used = 0;

  /** `stride` 2: a set; 4: each key holds another hash; 6: each key holds a UUID. */
  private constructor(private readonly stride: 2 | 4 | 6) {
    this.slots = new Uint32Array(FIRST_SLOTS * stride);
    this.mask = FIRST_SLOTS - 1;
  }

  static set(): KeyHashes {
    return new KeyHashes(2);
  }

  static map(): KeyHashes {
    return new KeyHashes(4);
  }

  /** Keys with the id of the record each stands for (`addRecord`, `record`). */
  static records(): KeyHashes {
    return new KeyHashes(6);
  }

  get size(): number {
    return this.used;
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  has(key: KeyHash): boolean {
    const at = this.find(key);
    return this.slots[at] !== 0 || this.slots[at + 1] !== 0;
  }

  /** The hash held for `key` (a map), or null. */
  get(key: KeyHash): KeyHash | null {
    const at = this.find(key);
    const { slots } = this;
    if (slots[at] === 0 && slots[at + 1] === 0) return null;
    return { high: slots[at + 2] ?? 0, low: slots[at + 3] ?? 0 };
  }

  /** Adds `key` (with `value` in a map); an existing key keeps its value. */
  add(key: KeyHash, value?: KeyHash): void {
    const at = this.slotFor(key);
    if (at !== null) this.write(at, key, value);
  }

  /** Adds `key` with the record id `id` (a UUID; `records()` tables); an existing key keeps its record. */
  addRecord(key: KeyHash, id: string): void {
    const at = this.slotFor(key);
    if (at === null) return;
    this.write(at, key, undefined);
    const hex = id.replaceAll('-', '');
    for (let word = 0; word < 4; word += 1) this.slots[at + 2 + word] = Number.parseInt(hex.slice(word * 8, word * 8 + 8), 16) >>> 0;
  }

  /** The record id held for `key` (`records()` tables), or null. */
  record(key: KeyHash): string | null {
    const at = this.find(key);
    const { slots } = this;
    if (slots[at] === 0 && slots[at + 1] === 0) return null;
    const hex = [0, 1, 2, 3].map((word) => (slots[at + 2 + word] ?? 0).toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The free slot `key` takes (the table grown first if it must), or null when `key` is there already. */
  private slotFor(key: KeyHash): number | null {
    const at = this.find(key);
    if (this.slots[at] !== 0 || this.slots[at + 1] !== 0) return null;
    this.used += 1;
    if (this.used * 4 > (this.mask + 1) * 3) {
      this.grow();
      return this.find(key);
    }
    return at;
  }

  /** The slot's offset that holds `key`, or the free one where it would go. */
  private find(key: KeyHash): number {
    const { slots, stride, mask } = this;
    let index = key.low & mask;
    for (;;) {
      const at = index * stride;
      const high = slots[at];
      const low = slots[at + 1];
      if ((high === 0 && low === 0) || (high === key.high && low === key.low)) return at;
      index = (index + 1) & mask;
    }
  }

  private write(at: number, key: KeyHash, value: KeyHash | undefined): void {
    const { slots } = this;
    slots[at] = key.high;
    slots[at + 1] = key.low;
    if (this.stride === 4 && value) {
      slots[at + 2] = value.high;
      slots[at + 3] = value.low;
    }
  }

  private grow(): void {
    const old = this.slots;
    const { stride } = this;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let at = 0; at < old.length; at += stride) {
      const high = old[at] ?? 0;
      const low = old[at + 1] ?? 0;
      if (high === 0 && low === 0) continue;
      const to = this.find({ high, low });
      // The whole slot moves: the key and whatever it holds.
      this.slots.set(old.subarray(at, at + stride), to);
    }
  }
}
