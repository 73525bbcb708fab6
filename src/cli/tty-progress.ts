/**
 * A progress line for long commands, on stderr and only when it is a terminal
 * (pipes and CI logs get the final summary only). Returns the callback to pass
 * down and a `done` that ends the line.
 */
export function ttyProgress(label: string, unit: string): { onProgress: ((count: number) => void) | undefined; done: () => void } {
  if (!process.stderr.isTTY) return { onProgress: undefined, done: () => undefined };
  let shown = false;
  return {
    onProgress: (count) => {
      shown = true;
      process.stderr.write(`\r${label}: ${count.toLocaleString('en-US')} ${unit}`);
    },
    done: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}
