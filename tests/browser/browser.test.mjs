// Baton in a real browser: Chromium from Debian's packages, driven by puppeteer-core, against a
// real dev node. The dashboard (dashboard/, served by its serve.mjs) shows the operators, a
// request's completion, a relay session's handover and a silent operator's slash (deferred, then
// applied) as they happen, and plots them; its screenshot is kept in tests/browser/output/; then a page of another origin opens a relay session with
// @baton/client and calls the operator's relay endpoint directly (CORS preflight and all).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { RelaySession, request, submitRequest } from '@baton/client';
import { startDevNode } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../lib/gateway.mjs';
import { startProxy } from '../lib/program.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const output = path.join(here, 'output');
const CHROMIUM = process.env.BATON_CHROMIUM || '/usr/bin/chromium';

let node;
let api;
let upstream;
let who;
let apiId;
let dashboard;
let browser;
/** Operator address → the proxy its profile's endpoint points at (the node's relay endpoint). */
const proxies = new Map();
/** What the pages logged as errors: none is expected. */
const pageErrors = [];

/** Starts dashboard/serve.mjs for the node; resolves with its URL once it listens. */
async function startDashboard(nodeUrl) {
  const child = spawn(process.execPath, [path.join(here, '..', '..', 'dashboard', 'serve.mjs'),
    '--node', nodeUrl, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let seen = '';
  for await (const chunk of child.stdout) {
    seen += chunk;
    const match = seen.match(/on (http:\/\/127\.0\.0\.1:\d+\/)/);
    if (match) return { url: match[1], stop: () => child.kill('SIGTERM') };
  }
  throw new Error(`dashboard/serve.mjs exited: ${seen}`);
}

async function openPage(url) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${url}: ${message.text()}`);
  });
  await page.goto(url);
  return page;
}

before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: scripts/test.sh installs Debian's`);
  fs.mkdirSync(output, { recursive: true });
  who = await accounts();
  upstream = await startUpstream(() => ({ body: JSON.stringify({ price: 7.25, unit: '€' }) }));
  node = await startDevNode();
  api = node.api;
  apiId = await registerApi(api, who.alice, { baseUrl: upstream.url });
  for (const name of ['charlie', 'dave']) {
    const seed = `//${name[0].toUpperCase()}${name.slice(1)}Gate`;
    const proxy = await startProxy(node.relayUrl);
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway: await gatewayKey(seed), gatewaySeed: seed,
      apiIds: [apiId], endpoint: proxy.url,
    });
    proxies.set(who[name].address, proxy);
  }
  dashboard = await startDashboard(node.rpcUrl);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI has no user namespaces for Chromium's sandbox; the pages are our own.
    args: ['--no-sandbox', '--disable-gpu'],
  });
});

after(async () => {
  if (browser) await browser.close();
  dashboard?.stop();
  for (const proxy of proxies.values()) await proxy.close();
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

test('the dashboard shows the operators, a request completing, a relay handover and a slash, live', async () => {
  const page = await openPage(dashboard.url);
  try {
    await watchDashboard(page);
    await watchSlash(page);
  } catch (error) {
    await page.screenshot({ path: path.join(output, 'dashboard-failed.png'), fullPage: true });
    throw error;
  }
  const screenshot = path.join(output, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.ok(fs.statSync(screenshot).size > 10_000);
  await page.close();
  assert.deepEqual(pageErrors, []);
});

async function watchDashboard(page) {
  for (const address of proxies.keys()) {
    await page.waitForSelector(`#operators tr[data-operator="${address}"]`, { timeout: 30_000 });
  }
  const states = await page.$$eval('#operators tbody tr', (rows) => rows.map((row) => row.cells[2].textContent));
  assert.deepEqual(states, ['online', 'online']);

  const result = await request(api, who.ferdie, { apiId, path: '/price', redundancy: 1 });
  await page.waitForSelector(`#requests tr[data-request="${result.id}"] td.state-completed`, { timeout: 30_000 });

  // A relay session whose first operator is dead: the client fails over and logs it on-chain.
  const session = await RelaySession.open(api, who.eve, { apiId, operators: 2, allowance: 10n ** 12n, blocks: 100 });
  const [first, second] = session.operators;
  await proxies.get(first).set('dead');
  try {
    assert.equal((await session.fetch({ path: '/price' })).operator, second);
    await session.close();
  } finally {
    session.stop();
    await proxies.get(first).set('pass');
  }
  await page.waitForFunction((id) => [...document.querySelectorAll('#handovers tr[data-handover]')]
    .some((row) => row.textContent.includes(`session ${id}`) && row.textContent.includes('relay: failed at call')),
  { timeout: 30_000 }, session.id);
  await page.waitForSelector(`#sessions tr[data-session="${session.id}"] td.state-closed`);
  // The request's report reached the latency plot, and the request the throughput plot:
  // Chart.js drew on the canvases, and each says what it shows.
  const drawn = await page.$eval('#latency-chart', (canvas) => canvas.toDataURL().length);
  assert.ok(drawn > 2_000, `latency chart ${drawn} bytes`);
  const label = (id) => page.$eval(id, (canvas) => canvas.getAttribute('aria-label'));
  assert.match(await label('#latency-chart'), /^latency of [1-9]\d* reports$/);
  assert.match(await label('#throughput-chart'), /^[1-9]\d* requests in the last \d+ blocks$/);
}

/** An operator that never reports is charged at the deadline: the slash shows deferred, then applied. */
async function watchSlash(page) {
  // Bob alone serves an API, his gateway key not in any node: he executes nothing.
  const silentApi = await registerApi(api, who.alice, { baseUrl: upstream.url });
  await bondOperator(api, {
    funder: who.alice, operator: who.bob, gateway: await gatewayKey('//BobGate'), gatewaySeed: '//BobGate',
    apiIds: [silentApi], insertKey: false, endpoint: node.relayUrl,
  });
  await submitRequest(api, who.ferdie, { apiId: silentApi, path: '/price', redundancy: 1 });
  const slashOf = (state) => page.waitForFunction((offender, wanted) => [...document.querySelectorAll('#slashes tr[data-offence]')]
    .some((row) => row.querySelector(`[title="${offender}"]`) && row.textContent.includes('MissedDeadline')
      && row.textContent.includes(wanted)), { timeout: 60_000 }, who.bob.address, state);
  await slashOf('deferred to #');
  await slashOf('applied: ');
}

test('a page of another origin opens a relay session and calls the operator\'s endpoint directly', async () => {
  const bundle = path.join(here, '.build', 'page.js');
  await build({
    entryPoints: [path.join(here, 'page.js')], outfile: bundle, bundle: true, format: 'esm', platform: 'browser',
    target: 'es2022', logLevel: 'warning',
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      fs.createReadStream(bundle).pipe(res);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>dApp</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const pageUrl = `http://127.0.0.1:${server.address().port}/`;
    const page = await openPage(pageUrl);
    await page.waitForFunction(() => typeof window.relayFromPage === 'function');
    const result = await page.evaluate((args) => window.relayFromPage(args),
      { node: node.rpcUrl, suri: '//Ferdie', apiId, path: '/price' });
    assert.notEqual(new URL(result.origin).port, new URL(node.relayUrl).port);
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body), { price: 7.25, unit: '€' });
    assert.equal(result.verified, true);
    assert.ok(proxies.has(result.operator));
    await page.close();
    assert.deepEqual(pageErrors, []);
  } finally {
    server.close();
  }
});
