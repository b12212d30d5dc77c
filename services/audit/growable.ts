// A typed array that grows (doubling) as slots past its end are set: the audit log's per-leaf
// columns (log-state.ts) and the search index's (query-index.ts).
export class Growable<T extends Float64Array | Uint32Array | Uint8Array> {
  data: T;
  readonly #make: (n: number) => T;
  constructor(make: (n: number) => T, initial = 1024) {
    this.#make = make;
    this.data = make(initial);
  }
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const grown = this.#make(Math.max(i + 1, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[i] = v;
  }
}
