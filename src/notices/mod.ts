// Signed notices from the hub to contact points, what a query does with its hits, erasure
// certificates for their supplier, and overlap notices of joint customs operations.
export { CERTIFICATES_PER_NOTICE, erasureNotices, logErasure, relogErasure } from "./erasures.js";
export { readMatches, settleHits } from "./hits.js";
export { overlapNotices, type OverlapNoticeSubject, type OverlapState } from "./overlaps.js";
export { NoticePublisher } from "./publisher.js";
