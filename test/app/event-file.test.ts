import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readEventFile } from '../../src/app/event-file.js';
import { TEST_NOW_MS, TEST_RULES } from '../support/cdnow-events.js';

describe('readEventFile', () => {
  it('reports progress every 10,000 lines, counting blank and invalid lines too', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 25_000; i++) {
      lines.push(
        i % 1000 === 0
          ? 'not json'
          : JSON.stringify({ type: 'feedback', event_id: `f${i}`, customer_id: `c${i % 50}`, occurred_at: '2024-05-01T10:00:00Z', score: i % 11 }),
      );
    }
    const input = new PassThrough();
    input.end(lines.join('\n') + '\n\n');
    const progress: number[] = [];
    let inputs = 0;
    const summary = await readEventFile(input, TEST_RULES, TEST_NOW_MS, () => inputs++, (n) => progress.push(n));
    expect(progress).toEqual([10_000, 20_000]);
    expect(summary).toMatchObject({ lines: 25_001, inputs: 24_975, rejected: { malformed_json: 25 } });
    expect(inputs).toBe(24_975);
  });
});
