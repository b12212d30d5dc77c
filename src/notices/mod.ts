// Signed notices from the hub to contact points, and what a query does with its hits.
export { readMatches, settleHits } from "./hits.js";
export { NoticePublisher } from "./publisher.js";
