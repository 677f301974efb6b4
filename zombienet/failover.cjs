// The failover scenario's steps, run by zombienet in one process (state is kept between steps):
//   setup                       an upstream on 127.0.0.1, an API, three operators bonded with a
//                               gateway key inserted into their own node (op1, op2, op3)
//   stream                      a batch of requests, each served by one operator
//   stream-until-op1-assigned   batches until the (dead) op1 holds at least one request
//   check                       every request ends completed, op1's within deadline + 2 blocks
//                               by successors; HandedOver on-chain; op1 slashed after the
//                               deferral with the successor's bonus; issuance unchanged
const path = require('node:path');

const state = { requests: [] };
// scripts/bench-failover.sh asks for more requests of the dead operator, for its percentiles.
const BATCH = Number(process.env.BATON_FAILOVER_BATCH || 6);
const MIN_DEAD = Number(process.env.BATON_FAILOVER_MIN_DEAD || 1);
const OPERATORS = [['op1', 'dave', '//DaveGate'], ['op2', 'eve', '//EveGate'], ['op3', 'ferdie', '//FerdieGate']];

async function lib() {
  const dir = path.join(__dirname, '..', 'tests', 'lib');
  return {
    node: await import(path.join(dir, 'node.mjs')),
    gateway: await import(path.join(dir, 'gateway.mjs')),
  };
}

async function setup(api, networkInfo) {
  const { gateway } = await lib();
  const who = await gateway.accounts();
  // An upstream that honours Idempotency-Key: a repeated key gets the stored answer, and only
  // the first call of a key executes (is counted).
  state.executions = new Map();
  const answers = new Map();
  state.upstream = await gateway.startUpstream((req) => {
    const key = req.headers['idempotency-key'];
    if (!answers.has(key)) {
      state.executions.set(key, (state.executions.get(key) ?? 0) + 1);
      answers.set(key, JSON.stringify({ price: 7.25, key }));
    }
    return { body: answers.get(key) };
  });
  state.apiId = await gateway.registerApi(api, who.alice, { baseUrl: state.upstream.url, timeoutMs: 2_000 });
  state.operators = {};
  for (const [nodeName, account, seed] of OPERATORS) {
    const opApi = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
    const key = await gateway.gatewayKey(seed);
    await opApi.rpc.author.insertKey('gate', seed, require('@polkadot/util').u8aToHex(key.publicKey));
    await opApi.disconnect();
    // Bond through Alice's node: the key is only in the operator's own node.
    await gateway.bondOperator(api, {
      funder: who.alice, operator: who[account], gateway: key, gatewaySeed: seed, apiIds: [state.apiId],
      insertKey: false,
    });
    state.operators[nodeName] = who[account].address;
  }
  state.issuance = (await api.query.balances.totalIssuance()).toBigInt();
  console.log(`api ${state.apiId}; operators ${JSON.stringify(state.operators)}; issuance ${state.issuance}`);
}

async function stream(api, count = BATCH) {
  const { gateway } = await lib();
  const who = await gateway.accounts();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const quote = gateway.plain(await api.rpc.gateway.quote(state.apiId, 1));
  const sent = [];
  let nonce = (await api.rpc.system.accountNextIndex(who.bob.address)).toNumber();
  for (let i = 0; i < count; i++) {
    sent.push(new Promise((resolve, reject) => {
      api.tx.gateway.submitRequest(state.apiId, 'Get', `/price?n=${state.requests.length + i}`, [], '', 1, BigInt(quote.total), best + 6)
        .signAndSend(who.bob, { nonce: nonce++ }, ({ status, events, dispatchError }) => {
          if (dispatchError) reject(new Error(dispatchError.toString()));
          if (status.isInBlock) {
            const submitted = events.find(({ event }) => event.method === 'RequestSubmitted');
            if (submitted) {
              resolve({
                id: submitted.event.data.requestId.toNumber(),
                assigned: submitted.event.data.assigned[0].toString(),
                deadline: best + 6,
              });
            }
          }
        }).catch(reject);
    }));
  }
  const requests = await Promise.all(sent);
  state.requests.push(...requests);
  console.log(`submitted ${requests.map((r) => `${r.id}→${r.assigned.slice(0, 6)}`).join(' ')}`);
  return requests;
}

async function check(api) {
  const { gateway, node } = await lib();
  const dead = state.operators.op1;
  for (const request of state.requests) {
    request.settled = await gateway.waitForSettlement(api, request.id, 180_000);
  }
  const failures = [];
  for (const { id, assigned, deadline, settled } of state.requests) {
    if (settled.status !== 'completed') {
      failures.push(`request ${id} ${settled.status} (reports: ${JSON.stringify(settled.reports.map((r) => r.status))})`);
    }
    const handedFromDead = settled.handovers.filter((h) => h.from === dead);
    if (assigned === dead && settled.reports.every((r) => r.operator !== dead)) {
      if (handedFromDead.length === 0) failures.push(`request ${id} of the dead operator was not handed over`);
      if (settled.settledAt > deadline + 2) failures.push(`request ${id} completed at ${settled.settledAt} > ${deadline} + 2`);
      console.log(`request ${id}: ${handedFromDead.map((h) => `${h.reason} → ${h.to.slice(0, 6)} at #${h.block}`)}; completed at #${settled.settledAt} (deadline ${deadline})`);
    }
  }
  const takenOver = state.requests.filter((r) => r.settled.handovers.some((h) => h.from === dead));
  if (takenOver.length === 0) failures.push('no request was handed over from the dead operator');

  // From the operator's death to the completion of each of its requests.
  const recovery = [];
  for (const r of takenOver) {
    const hash = await api.rpc.chain.getBlockHash(r.settled.settledAt);
    const completedMs = (await api.query.timestamp.now.at(hash)).toNumber();
    recovery.push({ blocks: r.settled.settledAt - state.deathAt.block, ms: Math.max(0, completedMs - state.deathAt.ms) });
  }
  const pct = (key, p) => {
    const sorted = recovery.map((x) => x[key]).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  };
  console.log(`death → completion of its ${recovery.length} requests: blocks p50 ${pct('blocks', 50)} p99 ${pct('blocks', 99)}; seconds p50 ${(pct('ms', 50) / 1000).toFixed(1)} p99 ${(pct('ms', 99) / 1000).toFixed(1)}`);

  // The slash of the dead operator lands after the deferral; the successor gets its share.
  const successors = new Set(takenOver.flatMap((r) => r.settled.handovers.map((h) => h.to)));
  const slash = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('op1 not slashed within 120 s')), 120_000);
    api.query.system.events((events) => {
      for (const { event } of events) {
        if (event.section === 'slashing' && event.method === 'Slashed' && event.data.offender.toString() === dead
          && event.data.beneficiary.isSome) {
          clearTimeout(timer);
          resolve(event);
        }
      }
    });
  });
  const beneficiary = slash.data.beneficiary.unwrap().toString();
  if (!successors.has(beneficiary)) failures.push(`slash beneficiary ${beneficiary} took nothing over`);
  if (slash.data.toBeneficiary.toBigInt() === 0n) failures.push('no takeover bonus');

  // Exactly once upstream: every request executed once, whoever called.
  for (const { id, settled } of state.requests) {
    const executions = state.executions.get(gateway.idempotencyKey(settled)) ?? 0;
    if (executions !== 1) failures.push(`request ${id} executed upstream ${executions} times`);
  }
  const issuance = (await api.query.balances.totalIssuance()).toBigInt();
  if (issuance !== state.issuance) failures.push(`issuance moved: ${state.issuance} → ${issuance}`);
  await state.upstream.close();
  console.log(`handed over from op1: ${takenOver.length}; slash ${slash.data.amount} with bonus ${slash.data.toBeneficiary} to ${beneficiary}`);
  if (failures.length) throw new Error(failures.join('; '));
  await node.sleep(0);
}

async function run(nodeName, networkInfo, args) {
  // Our own connection rather than zombienet's: it has the gateway methods decorated.
  const { node } = await lib();
  const api = await node.connectTo(networkInfo.nodesByName[nodeName].wsUri);
  try {
    switch (args[0]) {
      case 'setup': await setup(api, networkInfo); break;
      case 'stream': await stream(api); break;
      case 'stream-until-op1-assigned': {
        // op1 was paused just before this step: that is its death.
        state.deathAt = { ms: Date.now(), block: (await api.rpc.chain.getHeader()).number.toNumber() };
        let held = 0;
        for (let batch = 0; batch < 10 && held < MIN_DEAD; batch++) {
          const requests = await stream(api);
          held += requests.filter((r) => r.assigned === state.operators.op1).length;
        }
        break;
      }
      case 'check': await check(api); break;
      default: throw new Error(`unknown step ${args[0]}`);
    }
  } finally {
    await api.disconnect();
  }
  return 1;
}

module.exports = { run };
