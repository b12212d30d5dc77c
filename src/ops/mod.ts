// Operations' view of the system: service discovery, streams, consumers, server health.
export { clusterOf, discover, streamStatusOf, HUB_SERVICES, systemStatus, type ConsumerStatus, type EndpointStatus, type ServerStatus, type ServiceInstanceStatus, type StreamStatus, type SystemStatus } from "./status.js";
