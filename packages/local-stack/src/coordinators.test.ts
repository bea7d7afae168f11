import { describe, expect, it } from 'vitest';
import { coordinatorPartition } from './coordinators.js';

describe('coordinatorPartition', () => {
  it('takes Java String.hashCode modulo the partition count', () => {
    // "abc".hashCode() == 96354 in Java.
    expect(coordinatorPartition('abc', 10)).toBe(96_354 % 10);
    expect(coordinatorPartition('abc', 50)).toBe(96_354 % 50);
  });

  it('uses the absolute value of a negative hash', () => {
    // "hello world".hashCode() == 1794106052 (overflows on the way); "hello world!" is negative.
    expect(coordinatorPartition('hello world', 7)).toBe(1_794_106_052 % 7);
    expect(coordinatorPartition('hello world!', 10)).toBe(217_287_203 % 10);
    expect(coordinatorPartition('zzzzzz', 50)).toBe(685_785_664 % 50);
  });

  it('maps a hash of Integer.MIN_VALUE to partition 0, as Kafka Utils.abs does', () => {
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    expect(coordinatorPartition('polygenelubricants', 7)).toBe(0);
  });
});
