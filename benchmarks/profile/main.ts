/**
 * `npm run bench:profile -- FILE.cpuprofile [--window FROM:TO] [--top N] [--svg OUT.svg]`
 *
 * Summarises a V8 CPU profile (from `npm run bench -- --cpu-prof DIR`, or any
 * `node --cpu-prof`) as text, and with --svg writes its flame graph. The
 * window picks a phase: `--window -14:-1` is the last 14 s but the final one
 * (the bench's live phase ends its clvstream processes' profiles).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parseWindow, windowed, type CpuProfile } from './cpuprofile.js';
import { flameSvg } from './flame-svg.js';
import { formatSummary, summarise } from './summary.js';

const program = new Command('bench:profile')
  .description('Summarise a V8 CPU profile (.cpuprofile) by area and function, and draw its flame graph')
  .argument('<file>', 'a .cpuprofile file')
  .option('--window <from:to>', 'seconds from the profile start; negative: before its end (e.g. -14:-1)', ':')
  .option('--top <n>', 'functions listed per table', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--top must be a positive integer');
    return n;
  }, 25)
  .option('--svg <file>', 'also write the flame graph of the window as SVG')
  .action((file: string, o: { window: string; top: number; svg?: string }) => {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const view = windowed(profile, parseWindow(o.window));
    const lengthS = (profile.endTime - profile.startTime) / 1e6;
    const heading = `${basename(file)}: ${view.fromSeconds.toFixed(1)}–${view.toSeconds.toFixed(1)} s of ${lengthS.toFixed(1)} s`;
    process.stdout.write(`${formatSummary(summarise(view, o.top), heading)}\n`);
    if (o.svg !== undefined) {
      writeFileSync(o.svg, flameSvg(view, { title: heading }));
      process.stdout.write(`flame graph: ${o.svg}\n`);
    }
  });

program.parse();
