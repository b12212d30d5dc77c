// Signed notices from the hub to contact points.
export { NoticePublisher } from "./publisher.js";
