// What the hub's two data services share (records: the CIS; files: the FIDE index): the parts
// they are built from (blind store, data keys, blind indexer, due index, notices, audit), their
// sealed endpoints for contact points, the retention service's erasure endpoint, the process
// around them (one NATS connection, and one more per data-key shard), where each keeps its objects,
// and the steps their handlers take alike on an object (supplier only, holds, erasure by the supplier).
export { hubDataService, runHubDataMain, startHubData, type HubDataDef, type HubDataDeps, type HubDataOptions, type HubDataParts, type HubDataSettings, type RunningHubData } from "./service.js";
export { indexRefs, queryRefs, type BlindRef } from "./blind-refs.js";
export { DataObjectSteps, type DataObjectNames, type DataObjectParts, type HeldObject, type Query } from "./object-steps.js";
export { FILES_STORE, OPERATION_ITEMS_STORE, RECORDS_STORE, type DataStore, type OperationItemsStore } from "./stores.js";
