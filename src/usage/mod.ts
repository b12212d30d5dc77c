// Usage levels per contact point and month, dormancy, live throughput: the usage service's API.
export { THROUGHPUT_SUBJECT, USAGE_SERVICE, UsageClient, usageApi, type UsageQueryInput } from "./client.js";
