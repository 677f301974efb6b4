// The dashboard's page: follows a Baton node's best blocks through @baton/client and shows,
// live, the operators, requests, relay sessions, handovers and slashes, with the latency of
// operators' reports and the requests per block. Everything comes from the chain (events,
// storage, the gateway_* RPC); nothing is kept but the last WINDOW blocks' worth.
import { connect, getOperators, getRequest } from '@baton/client';
import {
  BarController, BarElement, CategoryScale, Chart, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);

/** Blocks read back at start and plotted. */
const WINDOW = 50;
/** Rows kept in each list. */
const ROWS = 25;
/** Upper bounds of the latency histogram's buckets, in ms (the last is open). */
const BUCKETS = [10, 25, 50, 100, 250, 500, 1000, 2000];

const state = {
  requests: new Map(),
  sessions: new Map(),
  handovers: [],
  slashes: new Map(),
  perBlock: new Map(),
  latencies: [],
};

const $ = (selector) => document.querySelector(selector);
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (address) => `<span class="address" title="${escape(address)}">${escape(address.slice(0, 6))}…${escape(address.slice(-4))}</span>`;
const btn = (planck) => `${(Number(BigInt(planck) / 10n ** 6n) / 1e6).toLocaleString(undefined, { maximumFractionDigits: 3 })} BTN`;
const cell = (value, kind) => `<td${kind ? ` class="state-${kind}"` : ''}>${value}</td>`;

/** The node: `?node=ws://…` in the page's address, else what the server configured. */
async function nodeUrl() {
  const given = new URLSearchParams(location.search).get('node');
  if (given) return given;
  const config = await fetch('config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  return config.node ?? 'ws://127.0.0.1:9944';
}

/** A handover's reason as a reader says it: `timeout`, or `relay: late at call 3`. */
function describeReason(reason) {
  const json = reason.toJSON();
  if (typeof json === 'string') return json;
  const [kind, value] = Object.entries(json)[0];
  if (kind === 'relay') return `relay: ${String(value.cause).toLowerCase()} at call ${value.sequence}`;
  return kind;
}

/** Reads block `number`'s events into the state. */
async function readBlock(api, number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const events = await (await api.at(hash)).query.system.events();
  for (const { event } of events) {
    const d = event.data;
    switch (`${event.section}.${event.method}`) {
      case 'gateway.RequestSubmitted':
        state.requests.set(d.requestId.toNumber(), {
          id: d.requestId.toNumber(), apiId: d.apiId.toNumber(), client: d.client.toString(),
          status: 'pending', submittedAt: number, settledAt: null,
        });
        state.perBlock.set(number, (state.perBlock.get(number) ?? 0) + 1);
        break;
      case 'gateway.RequestCompleted':
      case 'gateway.RequestRefunded': {
        const id = d.requestId.toNumber();
        const known = state.requests.get(id) ?? { id, apiId: '?', client: '?', submittedAt: '?' };
        known.status = event.method === 'RequestCompleted' ? 'completed' : 'refunded';
        known.settledAt = number;
        state.requests.set(id, known);
        const view = await getRequest(api, id, hash.toHex());
        for (const report of view?.reports ?? []) state.latencies.push(report.latencyMs);
        break;
      }
      case 'relay.SessionOpened':
        state.sessions.set(d.sessionId.toNumber(), {
          id: d.sessionId.toNumber(), apiId: d.apiId.toNumber(), client: d.client.toString(),
          operators: d.operators.map((o) => o.toString()), expiresAt: d.expiresAt.toNumber(), status: 'open',
        });
        break;
      case 'relay.SessionClosed':
      case 'relay.SessionSettled': {
        const session = state.sessions.get(d.sessionId.toNumber());
        if (session) session.status = event.method === 'SessionClosed' ? 'closed' : 'settled';
        break;
      }
      case 'handover.HandedOver': {
        // Relay sessions log under their escrow id: the session id with the top bit set.
        const id = d.requestId.toBigInt();
        const of = id >= 1n << 63n ? `session ${id - (1n << 63n)}` : `request ${id}`;
        state.handovers.unshift({ block: number, of, from: d.from.toString(), to: d.to.toString(), reason: describeReason(d.reason) });
        break;
      }
      case 'slashing.OffenceReported':
        state.slashes.set(d.offenceId.toString(), {
          id: d.offenceId.toString(), offender: d.offender.toString(), kind: d.kind.toString(),
          slash: d.slash.toHuman(), state: `deferred to #${d.applyAt.toNumber()}`, kindClass: 'deferred',
        });
        break;
      case 'slashing.Slashed': {
        const slash = state.slashes.get(d.offenceId.toString());
        if (slash) Object.assign(slash, { state: `applied: ${btn(d.amount.toBigInt())}`, kindClass: 'applied' });
        break;
      }
      case 'slashing.SlashCancelled': {
        const slash = state.slashes.get(d.offenceId.toString());
        if (slash) Object.assign(slash, { state: 'cancelled', kindClass: 'cancelled' });
        break;
      }
      default:
    }
  }
  state.perBlock.set(number, state.perBlock.get(number) ?? 0);
  for (const block of state.perBlock.keys()) if (block <= number - WINDOW) state.perBlock.delete(block);
  state.handovers.length = Math.min(state.handovers.length, ROWS);
  state.latencies.splice(0, Math.max(0, state.latencies.length - 1000));
}

/** The operators now: bond, state, reputation from gateway_operators, open assignments. */
async function readOperators(api, best) {
  const entries = await api.query.operatorStaking.operators.entries();
  const apiIds = (await api.query.gateway.apis.keys()).map((key) => key.args[0].toNumber());
  const reputation = new Map();
  for (const apiId of apiIds) {
    for (const view of await getOperators(api, apiId)) if (!reputation.has(view.operator)) reputation.set(view.operator, view);
  }
  const addresses = entries.map(([key]) => key.args[0].toString());
  const loads = addresses.length ? await api.query.gateway.load.multi(addresses) : [];
  return entries.map(([, value], i) => {
    const operator = value.unwrap().toJSON();
    const jailed = operator.jailedUntil !== null && operator.jailedUntil > best;
    const known = reputation.get(addresses[i]);
    return {
      address: addresses[i],
      bonded: BigInt(operator.bonded),
      state: jailed ? 'jailed' : operator.online ? 'online' : 'offline',
      status: operator.status,
      score: known ? `${(known.scorePpb / 1e7).toFixed(1)} %` : '–',
      latency: known && known.latencyMs ? `${known.latencyMs} ms` : '–',
      load: `${loads[i].toNumber()} / ${operator.profile.capacity}`,
    };
  });
}

function renderTable(id, rows) {
  $(`#${id} tbody`).innerHTML = rows.join('');
}

function render(operators) {
  renderTable('operators', operators.map((o) => `<tr data-operator="${escape(o.address)}">${cell(short(o.address))}${cell(btn(o.bonded))}`
    + `${cell(`${o.state}${o.status.toLowerCase() === 'active' ? '' : ' (chilled)'}`, o.state)}${cell(o.score)}${cell(o.latency)}${cell(o.load)}</tr>`));
  const requests = [...state.requests.values()].sort((a, b) => b.id - a.id).slice(0, ROWS);
  renderTable('requests', requests.map((r) => `<tr data-request="${r.id}">${cell(r.id)}${cell(r.apiId)}${cell(r.client === '?' ? '?' : short(r.client))}`
    + `${cell(r.status, r.status)}${cell(`#${r.submittedAt}`)}${cell(r.settledAt === null ? '' : `#${r.settledAt}`)}</tr>`));
  const sessions = [...state.sessions.values()].sort((a, b) => b.id - a.id).slice(0, ROWS);
  renderTable('sessions', sessions.map((s) => `<tr data-session="${s.id}">${cell(s.id)}${cell(s.apiId)}${cell(short(s.client))}`
    + `${cell(s.operators.map(short).join(' '))}${cell(s.status, s.status)}${cell(`#${s.expiresAt}`)}</tr>`));
  renderTable('handovers', state.handovers.map((h) => `<tr data-handover>${cell(`#${h.block}`)}${cell(escape(h.of))}`
    + `${cell(short(h.from))}${cell(short(h.to))}${cell(escape(h.reason))}</tr>`));
  const slashes = [...state.slashes.values()].reverse().slice(0, ROWS);
  renderTable('slashes', slashes.map((s) => `<tr data-offence="${escape(s.id)}">${cell(escape(s.id))}${cell(short(s.offender))}`
    + `${cell(escape(s.kind))}${cell(escape(s.slash))}${cell(escape(s.state), s.kindClass)}</tr>`));
}

function charts() {
  const options = { animation: false, responsive: true, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
  const labels = BUCKETS.map((bound, i) => `${i === 0 ? 0 : BUCKETS[i - 1]}–${bound}`).concat(`>${BUCKETS.at(-1)}`);
  const latency = new Chart($('#latency-chart'), {
    type: 'bar', data: { labels, datasets: [{ data: labels.map(() => 0), backgroundColor: '#3b6fd8' }] }, options,
  });
  const throughput = new Chart($('#throughput-chart'), {
    type: 'line', data: { labels: [], datasets: [{ data: [], borderColor: '#1a7f37', pointRadius: 0, stepped: true }] }, options,
  });
  return () => {
    const counts = labels.map(() => 0);
    for (const ms of state.latencies) {
      const bucket = BUCKETS.findIndex((bound) => ms < bound);
      counts[bucket === -1 ? BUCKETS.length : bucket] += 1;
    }
    latency.data.datasets[0].data = counts;
    latency.update();
    const blocks = [...state.perBlock.keys()].sort((a, b) => a - b);
    throughput.data.labels = blocks.map((n) => `#${n}`);
    throughput.data.datasets[0].data = blocks.map((n) => state.perBlock.get(n));
    throughput.update();
    // What each plot shows, in words, for screen readers and for the browser test.
    const requests = blocks.reduce((sum, n) => sum + state.perBlock.get(n), 0);
    $('#latency-chart').setAttribute('aria-label', `latency of ${state.latencies.length} reports`);
    $('#throughput-chart').setAttribute('aria-label', `${requests} requests in the last ${blocks.length} blocks`);
  };
}

async function main() {
  const url = await nodeUrl();
  const api = await connect(url);
  const [chain, version] = await Promise.all([api.rpc.system.chain(), api.rpc.state.getRuntimeVersion()]);
  $('#chain').textContent = `${chain} · spec ${version.specVersion} · ${url}`;
  const plot = charts();
  api.rpc.chain.subscribeFinalizedHeads((header) => { $('#finalized').textContent = `#${header.number.toNumber()}`; });

  // Blocks are read in order, none skipped, one at a time: a new head queues behind the last.
  let next = Math.max(1, (await api.rpc.chain.getHeader()).number.toNumber() - WINDOW + 1);
  let queue = Promise.resolve();
  await api.rpc.chain.subscribeNewHeads((header) => {
    const best = header.number.toNumber();
    queue = queue.then(async () => {
      for (; next <= best; next += 1) await readBlock(api, next);
      $('#best').textContent = `#${best}`;
      render(await readOperators(api, best));
      plot();
      document.body.dataset.block = String(best);
    }).catch((error) => {
      console.error(error);
      $('#chain').textContent = `error: ${error.message}`;
    });
  });
}

main().catch((error) => {
  console.error(error);
  $('#chain').textContent = `cannot connect: ${error.message}`;
});
