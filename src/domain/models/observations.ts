/**
 * Fitting inputs and their aggregation. Customers with identical summaries
 * contribute identical likelihood terms, so rows are merged with summed weights;
 * each distinct x, T and t_x value is also stored once so that the per-x
 * (log-gamma, digamma) and per-time (logs) work of a likelihood evaluation is
 * done once per distinct value, not per row. With whole-day times a million
 * customers collapse to a few hundred thousand rows over a few hundred distinct
 * T values.
 */

/** One customer (or `weight` identical customers) for the BG/NBD fit. Times in one unit. */
export interface BgNbdObservation {
  readonly x: number;
  readonly t_x: number;
  readonly T: number;
  readonly weight?: number;
}

/** One repeat buyer (x > 0) for the Gamma-Gamma fit; zbar = mean repeat-purchase value. */
export interface SpendObservation {
  readonly x: number;
  readonly zbar: number;
  readonly weight?: number;
}

/** Distinct rows over distinct values: row i is (values1[index1[i]], values2[index2[i]], values3[index3[i]]). */
export interface AggregatedRows {
  readonly rows: number;
  readonly weight: Float64Array;
  readonly index1: Int32Array;
  readonly index2: Int32Array;
  readonly index3: Int32Array;
  readonly values1: Float64Array;
  readonly values2: Float64Array;
  readonly values3: Float64Array;
}

/** Up to 2^26 distinct values per column, so (i2, i3) packs into one exact double key. */
const PACK = 2 ** 26;

/** Collects rows of up to three numeric columns, merging identical ones. */
export class RowAggregator {
  private readonly columns = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  private readonly rowsByFirst: Map<number, number>[] = [];
  private readonly weights: number[] = [];
  private readonly indices: [number[], number[], number[]] = [[], [], []];

  add(v1: number, v2: number, v3: number, weight: number): void {
    const i1 = this.indexOf(0, v1);
    const i2 = this.indexOf(1, v2);
    const i3 = this.indexOf(2, v3);
    const byRest = (this.rowsByFirst[i1] ??= new Map<number, number>());
    const key = i2 * PACK + i3;
    const row = byRest.get(key);
    if (row !== undefined) {
      this.weights[row] = this.weights[row]! + weight;
      return;
    }
    byRest.set(key, this.weights.length);
    this.weights.push(weight);
    this.indices[0].push(i1);
    this.indices[1].push(i2);
    this.indices[2].push(i3);
  }

  private indexOf(column: 0 | 1 | 2, value: number): number {
    const map = this.columns[column]!;
    let index = map.get(value);
    if (index === undefined) {
      index = map.size;
      if (index >= PACK) throw new RangeError('more than 2^26 distinct values in one column');
      map.set(value, index);
    }
    return index;
  }

  build(): AggregatedRows {
    const values = this.columns.map((map) => {
      const out = new Float64Array(map.size);
      for (const [value, index] of map) out[index] = value;
      return out;
    });
    return {
      rows: this.weights.length,
      weight: Float64Array.from(this.weights),
      index1: Int32Array.from(this.indices[0]),
      index2: Int32Array.from(this.indices[1]),
      index3: Int32Array.from(this.indices[2]),
      values1: values[0]!,
      values2: values[1]!,
      values3: values[2]!,
    };
  }
}

export function checkWeight(weight: number | undefined, row: number): number {
  const w = weight ?? 1;
  if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`row ${row}: weight must be finite and ≥ 0, got ${w}`);
  return w;
}

export function checkCount(x: number, row: number): void {
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`row ${row}: x must be a non-negative integer, got ${x}`);
}
