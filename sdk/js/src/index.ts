// @baton/client: a dApp's client of Baton, the decentralized API gateway.
export * from './rpc.js';
export * from './scale.js';
export * from './tx.js';
export * from './settled.js';
export * from './sealed.js';
export * from './relay.js';
