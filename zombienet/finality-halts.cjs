// Passes once the node has imported args[0] more blocks while its finalized head stood still:
// with two of four validators down, GRANDPA has no supermajority and must not finalize. Two
// blocks go by first, for votes cast before the validators went down.
const { finalizedNumber } = require('./nodes.cjs');

async function run(nodeName, networkInfo, args) {
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  const blocks = Number(args[0]);
  const best = async () => (await api.rpc.chain.getHeader()).number.toNumber();
  const blocksFrom = (start, count) => new Promise((resolve) => {
    api.rpc.chain.subscribeNewHeads((header) => {
      if (header.number.toNumber() >= start + count) resolve();
    });
  });
  await blocksFrom(await best(), 2);
  const finalized = await finalizedNumber(api);
  const start = await best();
  await blocksFrom(start, blocks);
  const after = await finalizedNumber(api);
  await api.disconnect();
  if (after !== finalized) throw new Error(`${nodeName} finalized #${finalized} -> #${after} without a supermajority`);
  console.log(`${nodeName}: blocks #${start} -> #${start + blocks}, finalized head still #${finalized}`);
  return after;
}

module.exports = { run };
