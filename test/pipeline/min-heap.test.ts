import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/pipeline/min-heap.js';
import { EventQueue } from '../../src/app/event-queue.js';

describe('MinHeap', () => {
  it('gives back every pushed item in order, whatever the push order', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const values = Array.from({ length: 500 }, () => next() % 97);
    const heap = new MinHeap<number>((a, b) => a < b);
    for (const v of values) heap.push(v);
    expect(heap.size).toBe(500);
    expect(heap.peek()).toBe(Math.min(...values));
    const out: number[] = [];
    for (let v = heap.pop(); v !== undefined; v = heap.pop()) out.push(v);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it('interleaves pushes and pops', () => {
    const heap = new MinHeap<number>((a, b) => a < b);
    heap.push(5);
    heap.push(2);
    expect(heap.pop()).toBe(2);
    heap.push(1);
    heap.push(9);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([1, 5, 9, undefined]);
  });
});

describe('EventQueue', () => {
  it('orders by time, and equal times in the order scheduled', () => {
    const q = new EventQueue<string>();
    q.push(3, 'c1');
    q.push(1, 'a');
    q.push(3, 'c2');
    q.push(2, 'b');
    q.push(3, 'c3');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(`${e.at}${e.item}`);
    expect(out).toEqual(['1a', '2b', '3c1', '3c2', '3c3']);
  });
});
