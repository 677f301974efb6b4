// The main job, end to end on a Baton dev chain (ws://127.0.0.1:9944): an API publisher
// registers an API, an operator bonds with its gateway key in the node's keystore, a client pays
// for a request, the node's offchain worker calls the upstream, the chain settles, and the
// response is printed with its receipt verified. Then the fast path: the client opens a relay
// session, calls the operator's relay endpoint (http://127.0.0.1:9955) directly, checks every
// receipt, closes the session, and the operator's node claims for all the calls at once. Last,
// the same through `baton gateway` (http://127.0.0.1:8787): curl calls it like any HTTP API and
// prints the answer with its receipt, which `baton verify` checks against the chain.
//
//   node scripts/demo.mjs [--url URL] [--exit | --blocks N]
//   --url URL   call this URL (default: a small price API this script serves on 127.0.0.1)
//   --exit      stop once the response is printed; --blocks N: once block N is finalized;
//               otherwise the chain keeps running for polkadot.js apps until Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { RelaySession, RequestRefunded, getQuote, getRequest, request, verifyReceipt } from '@baton/client';
import { startDevNode } from '../tests/lib/node.mjs';
import { batonVerify, runCommand, startGateway } from '../tests/lib/program.mjs';
import { waitForClaimed } from '../tests/lib/relay.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../tests/lib/gateway.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const stopAfter = arg('--blocks') ? Number(arg('--blocks')) : Infinity;
const exitWhenServed = process.argv.includes('--exit');
const rpcPort = Number(process.env.BATON_RPC_PORT || 9944);
const formatUnits = (planck) => `${(Number(planck) / 1e12).toFixed(6)} BTN`;

let upstream;
let target = arg('--url');
if (!target) {
  upstream = await startUpstream(() => ({ body: JSON.stringify({ coin: 'dot', price: 7.25, at: new Date().toISOString() }) }));
  target = `${upstream.url}/price?coin=dot`;
  console.log(`upstream API: ${upstream.url} (served by this script)`);
}
const url = new URL(target);

const relayPort = Number(process.env.BATON_RELAY_PORT || 9955);
const node = await startDevNode({ rpcPort, relayPort, args: ['--rpc-cors', 'all'] });
const { api } = node;
const [chain, version] = await Promise.all([api.rpc.system.chain(), api.rpc.state.getRuntimeVersion()]);
console.log(`connected to ${chain} (${version.specName} v${version.specVersion}) at ${node.rpcUrl}`);
console.log(`polkadot.js apps: https://polkadot.js.org/apps/?rpc=${encodeURIComponent(node.rpcUrl)}`);

const who = await accounts();
const step = (text) => console.log(`\n== ${text}`);

step(`Alice registers the API ${url.origin}`);
const apiId = await registerApi(api, who.alice, { baseUrl: url.origin, ignoredFields: ['at'], timeoutMs: 10_000 });
console.log(`api id ${apiId}`);

step('Charlie bonds as an operator; its gateway key //CharlieGate goes into the node keystore');
const gateway = await gatewayKey('//CharlieGate');
await bondOperator(api, {
  funder: who.alice, operator: who.charlie, gateway, gatewaySeed: '//CharlieGate', apiIds: [apiId],
  endpoint: node.relayUrl,
});
console.log(`operator ${who.charlie.address}, gateway key ${gateway.address}`);

const path = `${url.pathname}${url.search}`;
const quote = await getQuote(api, apiId, 1);
step(`Dave asks for GET ${path}: quote ${formatUnits(quote.total)} (${quote.eligibleOperators} eligible operator)`);
// @baton/client's request(): submits, follows finalized blocks to the outcome, checks the receipt.
let response = null;
try {
  const result = await request(api, who.dave, { apiId, path, redundancy: 1 }, {
    onProgress: (progress) => console.log(`transaction ${progress.stage}${progress.blockHash ? ` ${progress.blockHash}` : ''}`),
  });
  const settled = await getRequest(api, result.id, result.blockHash);
  step(`request ${result.id} completed in block #${settled.settledAt} (submitted in #${settled.submittedAt}, upstream ${settled.reports[0].latencyMs} ms, ${formatUnits(result.fee)} paid)`);
  response = result.receipt;
  console.log(`status:        ${JSON.stringify(response.status)}`);
  console.log(`body:          ${result.body}`);
  console.log(`response hash: ${response.responseHash}`);
  console.log(`signed by:     ${response.gatewayKey} (operator ${response.operator})`);
  console.log(`receipt:       verified by the node: ${response.verified}; verified here with the key alone: ${verifyReceipt(api, response)}`);
} catch (error) {
  if (!(error instanceof RequestRefunded)) throw error;
  console.log(`no response: ${error.message}`);
}

const RELAY_CALLS = 20;
step(`Dave opens a relay session with one operator and makes ${RELAY_CALLS} calls to its endpoint ${node.relayUrl}`);
const cost = BigInt(quote.pricePerOperator) + BigInt(quote.protocolFee);
const session = await RelaySession.open(api, who.dave, {
  apiId, operators: 1, allowance: cost * 100n, blocks: api.consts.relay.minSessionBlocks.toNumber() * 10,
});
const sessionId = session.id;
const [operator] = session.session.operators;
const timings = [];
let verified = 0;
for (let i = 0; i < RELAY_CALLS; i++) {
  const started = performance.now();
  // fetch() resolves only with an answer whose receipt verifies with the operator's gateway key.
  const answer = await session.fetch({ path });
  timings.push(performance.now() - started);
  verified++;
  if (i === 0) console.log(`first call: ${answer.status} ${answer.body}`);
}
timings.sort((a, b) => a - b);
console.log(`session ${sessionId}: ${RELAY_CALLS} calls, median ${timings[RELAY_CALLS >> 1].toFixed(1)} ms each, ${verified} receipts verified with the gateway key alone`);
await session.close();
const claimed = await waitForClaimed(api, sessionId, operator.operator, RELAY_CALLS);
console.log(`closed; Charlie's node claimed ${claimed.session.operators[0].claimedCalls} calls in one transaction`);

const gatewayPort = Number(process.env.BATON_GATEWAY_PORT || 8787);
step(`Eve runs baton gateway on http://127.0.0.1:${gatewayPort}; curl calls the API through it`);
const evidence = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'baton-evidence-'));
const local = await startGateway({
  node: node.rpcUrl, suri: '//Eve', port: gatewayPort, args: ['--operators', '1', '--evidence-dir', evidence],
});
// Not spawnSync: the upstream is served by this very process.
const curl = await runCommand('curl', ['-sS', '-i', `${local.url}/${apiId}${path}`]);
console.log(`$ curl -i ${local.url}/${apiId}${path}\n${curl.stdout.trim()}${curl.stderr}`);
const answer = await local.call(`/${apiId}${path}`);
const checked = batonVerify(node.rpcUrl, answer);
console.log(`$ baton verify receipt.json --body body\n${checked.stdout.trim()}${checked.stderr}`);
const gatewayStopped = await local.stop();
console.log(local.output.filter((line) => line.startsWith('session')).join('\n'));
const gatewayServed = curl.status === 0 && checked.status === 0 && gatewayStopped === 0;

if (!exitWhenServed) {
  step('the chain keeps running (Ctrl-C to stop)');
  let shutdown;
  const done = new Promise((resolve) => { shutdown = resolve; });
  await api.rpc.chain.subscribeFinalizedHeads((header) => {
    const n = header.number.toNumber();
    console.log(`finalized #${n}`);
    if (n >= stopAfter) shutdown();
  });
  process.on('SIGINT', () => shutdown());
  process.on('SIGTERM', () => shutdown());
  await done;
}
await node.stop();
if (upstream) await upstream.close();
process.exit(response?.verified && verified === RELAY_CALLS && gatewayServed ? 0 : 1);
