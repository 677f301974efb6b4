// Passes once the node's finalized head has advanced by args[0] blocks from where it was.
const { finalizedNumber } = require('./nodes.cjs');

async function run(nodeName, networkInfo, args) {
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  const blocks = Number(args[0]);
  const start = await finalizedNumber(api);
  const reached = await new Promise((resolve) => {
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      const number = header.number.toNumber();
      if (number >= start + blocks) resolve(number);
    });
  });
  console.log(`${nodeName}: finalized #${start} -> #${reached}`);
  await api.disconnect();
  return reached;
}

module.exports = { run };
