// The failover scenario's steps, run by zombienet in one process (state is kept between steps):
//   setup                       an upstream on 127.0.0.1, an API, three operators bonded with a
//                               gateway key inserted into their own node (op1, op2, op3)
//   stream                      a batch of requests, each served by one operator
//   kill-op1                    kill -9 op1's node mid-stream: its death
//   stream-until-op1-assigned   batches until the (dead) op1 holds at least one request
//   check                       every request ends completed, op1's before their deadline by
//                               the backups armed beside op1 at the end of the backup grace
//                               (HandedOver on-chain); op1 not charged for them, the work was
//                               done in time; each request ran upstream once; issuance unchanged
//   stream-batch,<name>         a batch of requests, kept under that name: `one-down` with
//                               Dave's validator killed (the other three finalize), `halted`
//                               with Charlie's and Dave's (two of four: finality halts)
//   settle-halted               the `halted` batch settles while the finalized head stands still
//   check-batch,<name>          once the validators are back and finality passed the batch:
//                               each completed or refunded, final, run upstream once; nothing
//                               left in escrow; issuance unchanged
//   restart-op1                 op1's node again, on its database
// Then the fast path:
//   relay-stream                `baton gateway` (Charlie's) in front of the operators' relay
//                               endpoints, and a steady stream of calls through it
//   relay-kill-primary          kill -9 the node of the operator answering the calls, restart it
//                               on its database 10 s later
//   relay-check                 no call failed, each ran upstream once; the gateway's close puts
//                               the handovers on-chain; each operator is paid for what it served
const path = require('node:path');

const { finalizedNumber, killNode, restartNode } = require('./nodes.cjs');

const state = { requests: [], batches: {} };
// Where each operator node's relay endpoint listens (failover.toml), and so its profile says.
const RELAY_PORTS = { op1: 19955, op2: 19956, op3: 19957 };
// scripts/bench-failover.sh may stream longer after the restart (BATON_GATEWAY_AFTER_KILL_MS).
const RELAY_STREAM_WORKERS = 4;
const RELAY_AFTER_KILL_MS = Number(process.env.BATON_GATEWAY_AFTER_KILL_MS || 15_000);
// scripts/bench-failover.sh asks for more requests of the dead operator, for its percentiles.
const BATCH = Number(process.env.BATON_FAILOVER_BATCH || 6);
const MIN_DEAD = Number(process.env.BATON_FAILOVER_MIN_DEAD || 1);
const OPERATORS = [['op1', 'dave', '//DaveGate'], ['op2', 'eve', '//EveGate'], ['op3', 'ferdie', '//FerdieGate']];

async function lib() {
  const dir = path.join(__dirname, '..', 'tests', 'lib');
  return {
    node: await import(path.join(dir, 'node.mjs')),
    gateway: await import(path.join(dir, 'gateway.mjs')),
    program: await import(path.join(dir, 'program.mjs')),
    sdk: await import('@baton/client'),
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
      insertKey: false, endpoint: `http://127.0.0.1:${RELAY_PORTS[nodeName]}`,
    });
    state.operators[nodeName] = who[account].address;
  }
  state.issuance = (await api.query.balances.totalIssuance()).toBigInt();
  console.log(`api ${state.apiId}; operators ${JSON.stringify(state.operators)}; issuance ${state.issuance}`);
}

async function stream(api, count = BATCH) {
  const { gateway, sdk } = await lib();
  const who = await gateway.accounts();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const quote = sdk.plain(await api.rpc.gateway.quote(state.apiId, 1));
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
  const { gateway, node, sdk } = await lib();
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
      // gateway_request shows which backup was armed beside it.
      if (!settled.armed.some((a) => a.beside === dead)) failures.push(`request ${id}: no backup armed beside the dead operator (${JSON.stringify(settled.armed)})`);
      // Hedged: a backup armed after the grace completes it, the deadline's failover is not needed.
      if (settled.settledAt > deadline) failures.push(`request ${id} completed at ${settled.settledAt}, after its deadline ${deadline}`);
      console.log(`request ${id}: submitted at #${settled.submittedAt}; ${handedFromDead.map((h) => `${h.reason} → ${h.to.slice(0, 6)} at #${h.block}`)}; completed at #${settled.settledAt} (deadline ${deadline})`);
    }
  }
  const takenOver = state.requests.filter((r) => r.settled.handovers.some((h) => h.from === dead));
  if (takenOver.length === 0) failures.push('no request was handed over from the dead operator');

  // From the operator's death, and from the submission of a request it was assigned when
  // already dead, to the request's completion.
  const recovery = [];
  for (const r of takenOver) {
    const hash = await api.rpc.chain.getBlockHash(r.settled.settledAt);
    const completedMs = (await api.query.timestamp.now.at(hash)).toNumber();
    recovery.push({
      blocks: r.settled.settledAt - state.deathAt.block,
      ms: Math.max(0, completedMs - state.deathAt.ms),
      fromSubmission: r.settled.settledAt - Math.max(r.settled.submittedAt, state.deathAt.block),
    });
  }
  const pct = (key, p) => percentile(recovery.map((x) => x[key]), p / 100);
  console.log(`death → completion of its ${recovery.length} requests: blocks p50 ${pct('blocks', 50)} p99 ${pct('blocks', 99)}; seconds p50 ${(pct('ms', 50) / 1000).toFixed(1)} p99 ${(pct('ms', 99) / 1000).toFixed(1)}; from the later of death and submission: blocks p50 ${pct('fromSubmission', 50)} p99 ${pct('fromSubmission', 99)}`);

  // The backups completed op1's requests within their deadlines: op1 committed no offence for
  // them (only its reputation counts the handovers).
  const offences = (await api.query.slashing.offences.entries()).map(([, record]) => record.unwrap());
  const charged = offences.filter((o) => o.offender.toString() === dead).map((o) => o.toHuman());
  if (charged.length) failures.push(`op1 charged for requests its backups completed in time: ${JSON.stringify(charged)}`);

  // Exactly once upstream: every request executed once, whoever called.
  failures.push(...notOnceUpstream(sdk, state.requests));
  const issuance = (await api.query.balances.totalIssuance()).toBigInt();
  if (issuance !== state.issuance) failures.push(`issuance moved: ${state.issuance} → ${issuance}`);
  console.log(`handed over from op1: ${takenOver.length}, all completed by the backups armed beside it`);
  if (failures.length) throw new Error(failures.join('; '));
  await node.sleep(0);
}

async function settleHalted(api) {
  const { gateway } = await lib();
  const finalized = await finalizedNumber(api);
  for (const request of state.batches.halted) {
    request.settled = await gateway.waitForSettlement(api, request.id, 120_000);
    console.log(`request ${request.id} ${request.settled.status} at #${request.settled.settledAt}, finalized head #${await finalizedNumber(api)}`);
  }
  const now = await finalizedNumber(api);
  if (now !== finalized) throw new Error(`finality moved (#${finalized} -> #${now}) while a validator was down`);
}

async function checkBatch(api, name) {
  const { gateway, node, sdk } = await lib();
  const who = await gateway.accounts();
  const batch = state.batches[name];
  const failures = [];
  for (const request of batch) request.settled ??= await gateway.waitForSettlement(api, request.id, 120_000);
  // Finality catches up from where it stood: wait until it passes the last settlement.
  const last = Math.max(...batch.map((r) => r.settled.settledAt));
  while (await finalizedNumber(api) < last) await node.sleep(1_000);
  const finalizedHash = await api.rpc.chain.getFinalizedHead();
  for (const { id, settled } of batch) {
    if (!['completed', 'refunded'].includes(settled.status)) failures.push(`request ${id} ${settled.status}`);
    // Final: the finalized chain has it settled as the best chain had.
    const final = (await api.query.gateway.requests.at(finalizedHash, id)).unwrap().status.type.toLowerCase();
    if (final !== settled.status) failures.push(`request ${id} is ${final} in the finalized chain, ${settled.status} at best`);
  }
  failures.push(...notOnceUpstream(sdk, batch.filter((r) => r.settled.status === 'completed')));
  // Escrow holds exactly the fees of the client's open requests, and none is open.
  const held = (await api.query.balances.holds(who.bob.address)).filter((hold) => hold.id.toString().includes('Escrow'));
  if (held.length) failures.push(`escrow still holds ${held.map((h) => h.amount.toString())} of the client's`);
  const issuance = (await api.query.balances.totalIssuance()).toBigInt();
  if (issuance !== state.issuance) failures.push(`issuance moved: ${state.issuance} → ${issuance}`);
  if (failures.length) throw new Error(failures.join('; '));
  const outcomes = batch.map((r) => `${r.id} ${r.settled.status} at #${r.settled.settledAt}`).join(', ');
  console.log(`batch ${name}: ${batch.length} requests settled and final (${outcomes}); finalized head #${await finalizedNumber(api)}`);
}

/** A failure for each of `requests` (with their settled views) not executed upstream exactly once. */
function notOnceUpstream(sdk, requests) {
  return requests
    .map(({ id, settled }) => [id, state.executions.get(sdk.idempotencyKey(settled)) ?? 0])
    .filter(([, executions]) => executions !== 1)
    .map(([id, executions]) => `request ${id} executed upstream ${executions} times`);
}

/** The value at fraction `p` of `values` sorted. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function relayStream(api, networkInfo) {
  const { gateway, program, sdk } = await lib();
  const quote = sdk.plain(await api.rpc.gateway.quote(state.apiId, 1));
  const cost = BigInt(quote.pricePerOperator) + BigInt(quote.protocolFee);
  state.gateway = await program.startGateway({
    node: networkInfo.nodesByName.alice.wsUri,
    suri: '//Charlie',
    args: ['--operators', '2', '--allowance', program.btn(cost * 20_000n)],
  });
  state.calls = [];
  state.streaming = true;
  let n = 0;
  // Each worker sends its next call as soon as the last one is answered, with a short pause.
  state.stream = Promise.all(Array.from({ length: RELAY_STREAM_WORKERS }, async () => {
    while (state.streaming) {
      const call = { n: n++, start: Date.now() };
      try {
        const answer = await state.gateway.call(`/${state.apiId}/price?relay=${call.n}`);
        Object.assign(call, { status: answer.status, operator: answer.headers['baton-operator'], body: answer.body });
        // The receipt's sequence number (SCALE: the session id, then the sequence, u64 LE).
        const receipt = Buffer.from(answer.headers['baton-receipt'].slice(2), 'hex');
        call.sequence = Number(receipt.readBigUInt64LE(8));
      } catch (error) {
        call.error = error.message;
      }
      call.end = Date.now();
      state.calls.push(call);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }));
  while (state.calls.filter((c) => c.status === 200).length < 200) {
    if (state.calls.some((c) => c.status !== 200)) {
      throw new Error(`a call failed before any fault: ${JSON.stringify(state.calls.find((c) => c.status !== 200))}\n${state.gateway.output.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const counts = {};
  for (const c of state.calls.slice(-50)) counts[c.operator] = (counts[c.operator] ?? 0) + 1;
  state.primary = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
  state.primaryNode = Object.keys(state.operators).find((name) => state.operators[name] === state.primary);
  // The no-fault baseline: 5 s of calls from here (the first ones waited for the session).
  state.steadyFrom = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  console.log(`relay: ${state.calls.length} calls through the gateway so far; the primary is ${state.primaryNode}`);
}

async function relayKillPrimary(networkInfo) {
  const { node } = await lib();
  const name = state.primaryNode;
  killNode(name, networkInfo);
  state.killedAt = Date.now();
  await node.sleep(10_000);
  await restartNode(name, networkInfo);
  state.restartedAt = Date.now();
}

async function relayCheck(api) {
  const { gateway, node, sdk } = await lib();
  await node.sleep(Math.max(0, state.restartedAt + RELAY_AFTER_KILL_MS - Date.now()));
  state.streaming = false;
  await state.stream;
  const failures = [];
  const calls = state.calls;
  const failed = calls.filter((c) => c.status !== 200);
  if (failed.length) failures.push(`${failed.length} calls failed, e.g. ${JSON.stringify(failed[0])}`);

  // Exactly once upstream: every key the gateway sent ran once, however many operators it reached.
  const keys = [...state.executions.entries()].filter(([key]) => key.startsWith('baton-'));
  const twice = keys.filter(([, count]) => count !== 1);
  if (twice.length) failures.push(`${twice.length} calls ran upstream more than once`);
  if (keys.length !== calls.length) failures.push(`${keys.length} keys upstream for ${calls.length} calls`);

  const latency = (c) => c.end - c.start;
  const before = calls.filter((c) => c.start >= state.steadyFrom && c.end < state.killedAt).map(latency);
  const inFlight = calls.filter((c) => c.start <= state.killedAt && c.end >= state.killedAt);
  const skippedAt = state.gateway.output.findIndex((line) => line.includes('skipped after'));
  const skipped = state.gateway.output[skippedAt];
  const lastToDead = Math.max(...calls.filter((c) => c.operator === state.primary).map((c) => c.end));
  const all = calls.map(latency);
  const p50 = percentile(before, 0.5);
  const p99 = percentile(before, 0.99);
  console.log(`relay: ${calls.length} calls, ${failed.length} failed; no fault: p50 ${p50} ms, p99 ${p99} ms; `
    + `${inFlight.length} in flight at the kill, the slowest ${Math.max(0, ...inFlight.map(latency))} ms `
    + `(+${Math.max(0, ...inFlight.map(latency)) - p50} ms); last answer from the dead operator ${lastToDead - state.killedAt} ms after the kill; `
    + `every call to the survivor (the dead one skipped) ${skippedAt < 0 ? 'never' : `${state.gateway.seenAt[skippedAt] - state.killedAt} ms`} after the kill; `
    + `all calls: p99 ${percentile(all, 0.99)} ms = ${(percentile(all, 0.99) / p99).toFixed(2)} × the no-fault p99`);
  console.log(`relay: ${skipped ?? 'the dead operator was not skipped'}`);

  const hedges = await state.gateway.metric('baton_gateway_hedges_total');
  // Stopping the gateway closes its session with the handovers of the switch.
  const code = await state.gateway.stop();
  const closed = state.gateway.output.find((line) => line.includes('closed (gateway stopped)'));
  if (code !== 0 || !closed) failures.push(`the gateway stopped with ${code}: ${state.gateway.output.slice(-5).join(' | ')}`);
  const sessionId = Number(closed?.match(/^session (\d+)/)?.[1]);
  const log = sdk.plain(await api.query.handover.history(BigInt(sessionId) | (1n << 63n)));
  const fromDead = log.filter((record) => record.from === state.primary);
  if (fromDead.length === 0) failures.push(`no handover from the dead operator in session ${sessionId}'s log`);
  // The calls the kill caught: their first try failed, the survivor answered the next (the
  // handover's sequence number is the try it was answered in).
  const handedOver = new Set(fromDead.map((record) => record.reason.relay.sequence));
  const caught = calls.filter((c) => handedOver.has(c.sequence)).map(latency);
  console.log(`relay: ${caught.length} calls handed over from the dead operator, the slowest ${Math.max(0, ...caught)} ms `
    + `(+${Math.max(0, ...caught) - p50} ms on the no-fault p50)`);
  console.log(`relay: session ${sessionId} closed with ${log.length} handovers on-chain: ${log.map((r) => `${r.reason.relay.cause} at call ${r.reason.relay.sequence}`).join(', ')}`);

  // Paid for what each served: at least every call it answered; the dead one at most those
  // and the calls it took in before it died; all of them no more than the calls answered and
  // the hedges that also reached a second operator.
  const answered = {};
  for (const c of calls) answered[c.operator] = (answered[c.operator] ?? 0) + 1;
  const deadline = Date.now() + 180_000;
  let paid;
  for (;;) {
    const session = sdk.plain(await api.rpc.relay.session(sessionId));
    paid = Object.fromEntries(session.operators.map((o) => [o.operator, o.claimedCalls]));
    const settled = Object.entries(paid).every(([who, n]) => n >= (answered[who] ?? 0));
    if (settled || Date.now() > deadline) break;
    await node.sleep(2_000);
  }
  for (const [who, n] of Object.entries(paid)) {
    if (n < (answered[who] ?? 0)) failures.push(`${who} paid for ${n} calls, answered ${answered[who]}`);
  }
  const dead = paid[state.primary] ?? 0;
  if (dead > (answered[state.primary] ?? 0) + inFlight.length) failures.push(`the dead operator paid for ${dead} calls, answered ${answered[state.primary]}`);
  const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  if (total(paid) > calls.length + hedges + inFlight.length) failures.push(`paid for ${total(paid)} calls, ${calls.length} answered`);
  console.log(`relay: answered ${JSON.stringify(answered)}; paid ${JSON.stringify(paid)}; hedges ${hedges}`);
  await state.upstream.close();
  if (failures.length) throw new Error(failures.join('; '));
}

async function run(nodeName, networkInfo, args) {
  // Our own connection rather than zombienet's: it has the gateway methods decorated.
  const { node } = await lib();
  const api = await node.connectTo(networkInfo.nodesByName[nodeName].wsUri);
  try {
    switch (args[0]) {
      case 'setup': await setup(api, networkInfo); break;
      case 'stream': await stream(api); break;
      case 'kill-op1': {
        killNode('op1', networkInfo);
        state.deathAt = { ms: Date.now(), block: (await api.rpc.chain.getHeader()).number.toNumber() };
        break;
      }
      case 'restart-op1': await restartNode('op1', networkInfo); break;
      case 'stream-until-op1-assigned': {
        let held = 0;
        for (let batch = 0; batch < 10 && held < MIN_DEAD; batch++) {
          const requests = await stream(api);
          held += requests.filter((r) => r.assigned === state.operators.op1).length;
        }
        break;
      }
      case 'check': await check(api); break;
      case 'stream-batch': state.batches[args[1]] = await stream(api); break;
      case 'settle-halted': await settleHalted(api); break;
      case 'check-batch': await checkBatch(api, args[1]); break;
      case 'relay-stream': await relayStream(api, networkInfo); break;
      case 'relay-kill-primary': await relayKillPrimary(networkInfo); break;
      case 'relay-check': await relayCheck(api); break;
      default: throw new Error(`unknown step ${args[0]}`);
    }
  } finally {
    await api.disconnect();
  }
  return 1;
}

module.exports = { run };
