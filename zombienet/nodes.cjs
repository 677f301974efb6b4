// Kills and restarts zombienet's nodes as a crash does: SIGKILL, then the same command line on
// the same database. Also a js-script step of its own: `kill,<node>[,<node>…]` or
// `restart,<node>[,<node>…]` (zombienet splits the arguments at the commas).
const fs = require('node:fs');
const path = require('node:path');

/** The command line of node `name`'s process, as zombienet started it: [pid, argv]. */
function nodeProcess(name) {
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let argv;
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const at = argv.indexOf('--name');
    if (argv[0]?.endsWith('baton-node') && at >= 0 && argv[at + 1] === name) return [Number(pid), argv];
  }
  throw new Error(`no process of node ${name}`);
}

/** Where a killed node's command line is kept until it restarts. */
const argvFile = (name, networkInfo) => path.join(networkInfo.tmpDir, `${name}.argv.json`);

/** Kills node `name` with SIGKILL, keeping its command line to restart it with. */
function killNode(name, networkInfo) {
  const [pid, argv] = nodeProcess(name);
  fs.writeFileSync(argvFile(name, networkInfo), JSON.stringify(argv));
  process.kill(pid, 'SIGKILL');
  console.log(`killed ${name} (pid ${pid}) with SIGKILL`);
}

/** Starts killed node `name` again, on its database, and waits until its RPC answers. */
async function restartNode(name, networkInfo) {
  const { connectTo, sleep } = await import(path.join(__dirname, '..', 'tests', 'lib', 'node.mjs'));
  const argv = JSON.parse(fs.readFileSync(argvFile(name, networkInfo), 'utf8'));
  const log = fs.openSync(path.join(networkInfo.tmpDir, `${name}.log`), 'a');
  const restarted = require('node:child_process').spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
  process.on('exit', () => restarted.kill('SIGKILL'));
  for (let tries = 1; ; tries++) {
    try {
      const api = await connectTo(networkInfo.nodesByName[name].wsUri);
      await api.disconnect();
      break;
    } catch (error) {
      if (tries === 60) throw new Error(`${name} did not come back: ${error.message}`);
      await sleep(1_000);
    }
  }
  console.log(`${name} restarted on its database (pid ${restarted.pid})`);
}

async function run(_nodeName, networkInfo, args) {
  const [action, ...names] = args;
  if (names.length === 0) throw new Error(`${action}: which nodes?`);
  for (const name of names) {
    if (action === 'kill') killNode(name, networkInfo);
    else if (action === 'restart') await restartNode(name, networkInfo);
    else throw new Error(`unknown action ${action}`);
  }
  return 1;
}

/** The number of `api`'s node's finalized head. */
async function finalizedNumber(api) {
  return (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
}

module.exports = { run, killNode, restartNode, finalizedNumber };
