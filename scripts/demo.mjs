// The main job: a Baton dev chain on ws://127.0.0.1:9944 that visibly authors and finalizes
// blocks. Runs until Ctrl-C, or until `--blocks N` blocks are finalized.
import { startDevNode } from '../tests/lib/node.mjs';

const blocksArg = process.argv.indexOf('--blocks');
const stopAfter = blocksArg > 0 ? Number(process.argv[blocksArg + 1]) : Infinity;
const rpcPort = Number(process.env.BATON_RPC_PORT || 9944);

const node = await startDevNode({ rpcPort, args: ['--rpc-cors', 'all'] });
const { api } = node;
const [chain, version] = await Promise.all([api.rpc.system.chain(), api.rpc.state.getRuntimeVersion()]);
console.log(`connected to ${chain} (${version.specName} v${version.specVersion}) at ${node.rpcUrl}`);
console.log(`polkadot.js apps: https://polkadot.js.org/apps/?rpc=${encodeURIComponent(node.rpcUrl)}`);

let best = 0;
let finalized = 0;
let shutdown;
const done = new Promise((resolve) => { shutdown = resolve; });
await api.rpc.chain.subscribeNewHeads((header) => {
  best = header.number.toNumber();
  console.log(`best #${best}  finalized #${finalized}`);
});
await api.rpc.chain.subscribeFinalizedHeads((header) => {
  finalized = header.number.toNumber();
  if (finalized >= stopAfter) shutdown();
});
process.on('SIGINT', () => shutdown());
process.on('SIGTERM', () => shutdown());

await done;
console.log(`stopping: best #${best}, finalized #${finalized}`);
await node.stop();
process.exit(0);
