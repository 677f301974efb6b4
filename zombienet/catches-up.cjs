// Passes once this node has finalized at least the block that node args[0] had finalized
// when the script started, and holds the same hash for it.
async function run(nodeName, networkInfo, args) {
  const reference = await zombie.connect(networkInfo.nodesByName[args[0]].wsUri);
  const target = await reference.rpc.chain.getHeader(await reference.rpc.chain.getFinalizedHead());
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  const number = target.number.toNumber();
  await new Promise((resolve) => {
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      if (header.number.toNumber() >= number) resolve();
    });
  });
  const ours = await api.rpc.chain.getBlockHash(number);
  if (!ours.eq(target.hash)) {
    throw new Error(`${nodeName} finalized ${ours.toHex()} at #${number}, ${args[0]} ${target.hash.toHex()}`);
  }
  console.log(`${nodeName}: caught up with ${args[0]} at finalized #${number}`);
  await reference.disconnect();
  await api.disconnect();
  return number;
}

module.exports = { run };
