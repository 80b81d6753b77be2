import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKey, KeyHashes } from '../src/modules/imports/key-hashes.js';

describe('the import’s key hashes', () => {
  it('holds every key it was given and no other, across its growth', () => {
    const set = KeyHashes.set();
    const keys = Array.from({ length: 200_000 }, (_, index) => `person${index}@example.com`);
    for (const key of keys.slice(0, 100_000)) set.add(hashKey(key));
    set.add(hashKey(keys[0]!));
    expect(set.size).toBe(100_000);
    expect(keys.slice(0, 100_000).every((key) => set.has(hashKey(key)))).toBe(true);
    expect(keys.slice(100_000).some((key) => set.has(hashKey(key)))).toBe(false);
    // 8 bytes a slot, doubled at three quarters full: at most 21 bytes a key.
    expect(set.bytes / set.size).toBeLessThanOrEqual(21);
  });

  it('maps a key to another key’s hash, and a key keeps its first value', () => {
    const map = KeyHashes.map();
    for (let index = 0; index < 5_000; index += 1) map.add(hashKey(`claim${index}`), hashKey(`ref${index}`));
    map.add(hashKey('claim7'), hashKey('other'));
    expect(map.get(hashKey('claim7'))).toEqual(hashKey('ref7'));
    expect(map.get(hashKey('claim4999'))).toEqual(hashKey('ref4999'));
    expect(map.get(hashKey('claim5000'))).toBeNull();
  });

  it('keeps each key\'s record id through its growth, and a key keeps its first record', () => {
    const records = KeyHashes.records();
    const ids = Array.from({ length: 20_000 }, () => randomUUID());
    ids.forEach((id, index) => records.addRecord(hashKey(`lead${index}@example.com`), id));
    records.addRecord(hashKey('lead7@example.com'), randomUUID());
    expect(ids.every((id, index) => records.record(hashKey(`lead${index}@example.com`)) === id)).toBe(true);
    expect(records.record(hashKey('nobody@example.com'))).toBeNull();
    // 24 bytes a slot, doubled at three quarters full: at most 64 bytes a key.
    expect(records.bytes / records.size).toBeLessThanOrEqual(64);
  });

  it('spreads keys that differ in one character, or only in length', () => {
    const hashes = new Set<string>();
    const keys = ['', 'a', 'b', 'aa', 'ab', 'ba', '\u0000', '\u0000\u0000', ...Array.from({ length: 10_000 }, (_, index) => `k${index}`)];
    for (const key of keys) {
      const { high, low } = hashKey(key);
      hashes.add(`${high}:${low}`);
    }
    expect(hashes.size).toBe(keys.length);
  });
});
