// polkadot.js definitions of the node's `gateway_*` and `relay_*` methods (rpc/src): an
// ApiPromise created with `rpc: gatewayRpc` has `api.rpc.gateway.request(id)`,
// `api.rpc.relay.session(id)` and the others. They answer JSON views, documented in
// docs/gateway.md and docs/relay.md; `plain` turns an answer into plain JS values.

const at = { name: 'at', type: 'BlockHash', isOptional: true };

export const gatewayRpc = {
  gateway: {
    request: {
      description: 'A request while it is kept: status, operators, reports, handovers',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    response: {
      description: 'The winning response of a completed request, with its receipt',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    quote: {
      description: 'What a request to an API with `redundancy` operators (0: its default) costs',
      params: [{ name: 'apiId', type: 'u32' }, { name: 'redundancy', type: 'u32' }, at],
      type: 'Json',
    },
    operators: {
      description: 'The operators that declared they serve an API, with their reputation',
      params: [{ name: 'apiId', type: 'u32' }, at],
      type: 'Vec<Json>',
    },
  },
  relay: {
    session: {
      description: 'A relay session until it settles: price, allowance, operators and their gateway keys, status',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    sessions: {
      description: 'A client\'s relay sessions until they settle',
      params: [{ name: 'client', type: 'AccountId32' }, at],
      type: 'Vec<Json>',
    },
  },
};

/** A `gateway_*` answer as plain values: null for a view the node does not have. */
export function plain(answer) {
  if (Array.isArray(answer)) return answer.map(plain);
  if (answer.isNone) return null;
  return (answer.isSome ? answer.unwrap() : answer).toJSON();
}
