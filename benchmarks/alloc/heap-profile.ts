/**
 * A V8 sampling heap profile (inspector `HeapProfiler.stopSampling`) summarised
 * as bytes allocated per event: by area (the CPU profile tool's areas: our
 * source folders, npm packages, Node, native) and by function. Sampled with the
 * objects already collected included, so it counts what was allocated — the
 * garbage the collector has to deal with — not what is still alive.
 */
import { areaOf, frameLabel } from '../profile/cpuprofile.js';

export interface HeapProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  /** Bytes of the samples taken in this frame itself. */
  readonly selfSize: number;
  readonly children: readonly HeapProfileNode[];
}

export interface HeapProfile {
  readonly head: HeapProfileNode;
}

export interface AllocationShare {
  readonly name: string;
  readonly bytesPerEvent: number;
  /** Of everything sampled, 0–1. */
  readonly share: number;
}

export interface AllocationSummary {
  readonly bytesPerEvent: number;
  readonly byArea: AllocationShare[];
  readonly byFunction: AllocationShare[];
}

export function summariseAllocations(profile: HeapProfile, events: number, limit = 25): AllocationSummary {
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const pending: HeapProfileNode[] = [profile.head];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    pending.push(...node.children);
    if (node.selfSize === 0) continue;
    total += node.selfSize;
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
    const label = frameLabel(node.callFrame);
    functions.set(label, (functions.get(label) ?? 0) + node.selfSize);
  }
  const shares = (m: Map<string, number>): AllocationShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([name, bytes]) => ({ name, bytesPerEvent: bytes / events, share: total === 0 ? 0 : bytes / total }));
  return { bytesPerEvent: total / events, byArea: shares(areas), byFunction: shares(functions) };
}

export function formatAllocations(s: AllocationSummary): string {
  const row = (x: AllocationShare): string => `${x.bytesPerEvent.toFixed(0).padStart(8)} B  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.name}`;
  return [
    `allocated ${s.bytesPerEvent.toFixed(0)} bytes per event`,
    'by area',
    ...s.byArea.map(row),
    'by function (self)',
    ...s.byFunction.map(row),
  ].join('\n');
}
