// The walk up the tree that inclusion (RFC 9162 §2.1.3.2 step 3) and consistency (§2.1.4.2 step 6)
// proof verification share. Sizes may exceed 2^32, so halving is done with arithmetic.

/**
 * Walks the node index `fn` and the last index `sn` up the tree, one level a path element: for each
 * of `count` elements, whether it is a left sibling (hash(element, running)) or a right one
 * (hash(running, element)). A path with an element past the root is too long; one that ends below
 * the root (sn not 0) is too short.
 */
export function pathSides(fn: number, sn: number, count: number): boolean[] | "path-too-long" | "path-too-short" {
  const left: boolean[] = [];
  for (let i = 0; i < count; i++) {
    if (sn === 0) return "path-too-long";
    const isLeft = fn % 2 === 1 || fn === sn;
    // A last subtree has no right sibling at these levels: skip them.
    if (isLeft) {
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    }
    left.push(isLeft);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? left : "path-too-short";
}
