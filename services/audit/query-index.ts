// The supervisor's search index over the log (Reg. 2018/1862 Art. 12: who accessed what, when, and
// why): by object, authority, user, action and time. Kept compact for a million events and more:
// one typed-array slot per leaf for each field (strings interned once) and sorted postings lists
// of leaf indices per object, user, authority and action. The events themselves are not kept;
// answers fetch them from the AUDIT stream by sequence, so aged-out events simply drop out.
import { type pb } from "../../src/proto/mod.js";
import { Growable } from "./growable.js";

type Postings = number | number[];

class Interner {
  readonly #ids = new Map<string, number>();
  readonly #values: string[] = [""];
  id(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#values.length;
      this.#values.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }
  find(s: string): number | undefined {
    return this.#ids.get(s);
  }
  value(id: number): string {
    return this.#values[id] ?? "";
  }
}

function push(map: Map<number, Postings>, key: number, leaf: number): void {
  const p = map.get(key);
  if (p === undefined) map.set(key, leaf);
  else if (typeof p === "number") map.set(key, p === leaf ? p : [p, leaf]);
  else if (p[p.length - 1] !== leaf) p.push(leaf);
}

const asList = (p: Postings | undefined): readonly number[] => (p === undefined ? [] : typeof p === "number" ? [p] : p);

/** Merges sorted lists into one sorted list without duplicates. */
function union(lists: ReadonlyArray<readonly number[]>): readonly number[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  return [...new Set(nonEmpty.flat())].sort((a, b) => a - b);
}

/** First position in a sorted list whose value is >= x. */
function lowerBound(list: readonly number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const objectKey = (type: string, id: string) => `${type}\u0000${id}`;

export interface QueryAnswer {
  readonly leaves: number[];
  readonly more: boolean;
}

export class QueryIndex {
  readonly #strings = new Interner();
  readonly #present = new Growable((n) => new Uint8Array(n));
  readonly #atMs = new Growable((n) => new Float64Array(n));
  readonly #action = new Growable((n) => new Uint8Array(n));
  readonly #authority = new Growable((n) => new Uint32Array(n));
  readonly #user = new Growable((n) => new Uint32Array(n));
  readonly #object = new Growable((n) => new Uint32Array(n));
  readonly #byObject = new Map<number, Postings>();
  readonly #byMatched = new Map<number, Postings>();
  readonly #byUser = new Map<number, Postings>();
  readonly #byAuthority = new Map<number, Postings>();
  readonly #byAction = new Map<number, Postings>();
  #indexed = 0;

  /** Leaves indexed (events still in the AUDIT stream when they were seen). */
  get indexed(): number {
    return this.#indexed;
  }

  /** Indexes leaf `leaf`; leaves must come in increasing order. */
  add(leaf: number, e: pb.IAuditEvent): void {
    const s = this.#strings;
    const authority = s.id(e.authority ?? "");
    const user = s.id(e.userId ?? "");
    const object = s.id(objectKey(e.objectType ?? "", e.objectId ?? ""));
    const action = Number(e.action ?? 0) & 0xff;
    this.#present.set(leaf, 1);
    this.#atMs.set(leaf, Number(e.atMs ?? 0));
    this.#action.set(leaf, action);
    this.#authority.set(leaf, authority);
    this.#user.set(leaf, user);
    this.#object.set(leaf, object);
    push(this.#byObject, object, leaf);
    push(this.#byUser, user, leaf);
    push(this.#byAuthority, authority, leaf);
    push(this.#byAction, action, leaf);
    for (const m of e.matched ?? []) push(this.#byMatched, s.id(m), leaf);
    this.#indexed++;
  }

  /**
   * Leaves matching every given filter, in leaf order (or reversed), after the cursor, up to
   * `limit`, among the first `treeSize` leaves. An object filter also finds events that name the
   * object among what they matched (as `<id>` or `<type>:<id>`).
   */
  query(q: pb.IAuditQuery, treeSize: number, limit: number): QueryAnswer {
    const s = this.#strings;
    const lists: Array<readonly number[]> = [];
    const checks: Array<(leaf: number) => boolean> = [];
    const none: QueryAnswer = { leaves: [], more: false };

    if (q.objectType || q.objectId) {
      const key = q.objectType && q.objectId ? s.find(objectKey(q.objectType, q.objectId)) : undefined;
      if (q.objectType && q.objectId) {
        const ids = [q.objectId, `${q.objectType}:${q.objectId}`].map((m) => s.find(m)).filter((id) => id !== undefined);
        const matched = ids.map((id) => asList(this.#byMatched.get(id)));
        const list = union([asList(key === undefined ? undefined : this.#byObject.get(key)), ...matched]);
        lists.push(list);
        const set = new Set(list);
        checks.push((leaf) => set.has(leaf));
      } else if (q.objectType) {
        const prefix = `${q.objectType}\u0000`;
        checks.push((leaf) => this.#string(this.#object.data[leaf] as number).startsWith(prefix));
      } else {
        const suffix = `\u0000${q.objectId}`;
        checks.push((leaf) => this.#string(this.#object.data[leaf] as number).endsWith(suffix));
      }
    }
    if (q.authority) {
      const id = s.find(q.authority);
      if (id === undefined) return none;
      lists.push(asList(this.#byAuthority.get(id)));
      checks.push((leaf) => this.#authority.data[leaf] === id);
    }
    if (q.userId) {
      const id = s.find(q.userId);
      if (id === undefined) return none;
      lists.push(asList(this.#byUser.get(id)));
      checks.push((leaf) => this.#user.data[leaf] === id);
    }
    const actions = (q.actions ?? []).map(Number).filter((a) => a !== 0);
    if (actions.length > 0) {
      lists.push(union(actions.map((a) => asList(this.#byAction.get(a)))));
      const set = new Set(actions);
      checks.push((leaf) => set.has(this.#action.data[leaf] as number));
    }
    const fromMs = Number(q.fromMs ?? 0);
    const toMs = Number(q.toMs ?? 0);
    if (fromMs) checks.push((leaf) => (this.#atMs.data[leaf] as number) >= fromMs);
    if (toMs) checks.push((leaf) => (this.#atMs.data[leaf] as number) < toMs);

    const descending = !!q.descending;
    const after = q.afterSet ? Number(q.afterIndex ?? 0) : undefined;
    const matches = (leaf: number) => this.#present.data[leaf] === 1 && checks.every((c) => c(leaf));
    const out: number[] = [];
    let more = false;
    const take = (leaf: number): boolean => {
      if (!matches(leaf)) return true;
      if (out.length === limit) {
        more = true;
        return false;
      }
      out.push(leaf);
      return true;
    };
    // Walk the shortest postings list; with none, walk the leaves themselves.
    const driver = lists.length > 0 ? lists.reduce((a, b) => (b.length < a.length ? b : a)) : undefined;
    const size = Math.min(treeSize, this.#present.data.length);
    if (driver) {
      if (descending) {
        const end = lowerBound(driver, Math.min(after ?? size, size));
        for (let i = end - 1; i >= 0 && take(driver[i] as number); i--);
      } else {
        const start = after === undefined ? 0 : lowerBound(driver, after + 1);
        for (let i = start; i < driver.length && (driver[i] as number) < size && take(driver[i] as number); i++);
      }
    } else if (descending) {
      for (let leaf = Math.min(after ?? size, size) - 1; leaf >= 0 && take(leaf); leaf--);
    } else {
      for (let leaf = after === undefined ? 0 : after + 1; leaf < size && take(leaf); leaf++);
    }
    return { leaves: out, more };
  }

  #string(id: number): string {
    return this.#strings.value(id);
  }
}
