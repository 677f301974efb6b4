// Passes once the node has imported args[0] more blocks while its finalized head stood still:
// with two of four validators down, GRANDPA has no supermajority and must not finalize. Two
// blocks go by first, for votes cast before the validators went down.
async function run(nodeName, networkInfo, args) {
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  const blocks = Number(args[0]);
  const number = async (hash) => (await api.rpc.chain.getHeader(hash)).number.toNumber();
  const blocksFrom = (start, count) => new Promise((resolve) => {
    api.rpc.chain.subscribeNewHeads((header) => {
      if (header.number.toNumber() >= start + count) resolve();
    });
  });
  await blocksFrom(await number(), 2);
  const finalized = await number(await api.rpc.chain.getFinalizedHead());
  const start = await number();
  await blocksFrom(start, blocks);
  const after = await number(await api.rpc.chain.getFinalizedHead());
  await api.disconnect();
  if (after !== finalized) throw new Error(`${nodeName} finalized #${finalized} -> #${after} without a supermajority`);
  console.log(`${nodeName}: blocks #${start} -> #${start + blocks}, finalized head still #${finalized}`);
  return after;
}

module.exports = { run };
