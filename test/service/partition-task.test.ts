import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PartitionTask } from '../../src/service/partition-task.js';

describe('PartitionTask.lingerThen', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once after the linger, however many times it is asked meanwhile', () => {
    const task = new PartitionTask(0, 6, 1_000, 0);
    const calls: number[] = [];
    task.lingerThen(20, () => calls.push(Date.now()));
    vi.advanceTimersByTime(10);
    task.lingerThen(20, () => calls.push(-1)); // joins the waiting call
    vi.advanceTimersByTime(9);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).not.toBe(-1);
  });

  it('starts a new wait once the previous one has fired', () => {
    const task = new PartitionTask(0, 6, 1_000, 0);
    let calls = 0;
    task.lingerThen(20, () => calls++);
    vi.advanceTimersByTime(20);
    task.lingerThen(20, () => calls++);
    vi.advanceTimersByTime(20);
    expect(calls).toBe(2);
  });

  it('never calls once the task is closed', () => {
    const task = new PartitionTask(0, 6, 1_000, 0);
    let calls = 0;
    task.lingerThen(20, () => calls++);
    task.close();
    task.lingerThen(20, () => calls++);
    vi.advanceTimersByTime(100);
    expect(calls).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
