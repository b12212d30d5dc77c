// Signed notices from the hub to contact points, what a query does with its hits, and erasure
// certificates for their supplier.
export { CERTIFICATES_PER_NOTICE, erasureNotices, logErasure } from "./erasures.js";
export { readMatches, settleHits } from "./hits.js";
export { NoticePublisher } from "./publisher.js";
