// Retention machinery shared by the services that keep data: the index of due dates.
export { DueIndex, hourBucket, HOUR_MS, type DueItem } from "./due-index.js";
