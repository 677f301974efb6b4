// Serves the dashboard's static files, and config.json naming the node the page connects to.
//
//   node dashboard/serve.mjs [--node ws://127.0.0.1:9944] [--listen 127.0.0.1:8080]
//
// Any web server can serve index.html, style.css and dist/ instead; the page then takes the node
// from its address (`?node=ws://…`).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const node = arg('--node', 'ws://127.0.0.1:9944');
const [host, port] = arg('--listen', '127.0.0.1:8080').split(':');
const root = path.dirname(new URL(import.meta.url).pathname);
const files = new Map([
  ['/', ['index.html', 'text/html; charset=utf-8']],
  ['/index.html', ['index.html', 'text/html; charset=utf-8']],
  ['/style.css', ['style.css', 'text/css']],
  ['/dist/app.js', ['dist/app.js', 'text/javascript']],
  ['/dist/app.js.map', ['dist/app.js.map', 'application/json']],
]);
if (!fs.existsSync(path.join(root, 'dist', 'app.js'))) {
  console.error('dashboard/dist/app.js is missing: build it with `npm run build --workspace @baton/dashboard`');
  process.exit(1);
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://dashboard');
  if (pathname === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ node }));
    return;
  }
  const file = files.get(pathname);
  if (!file) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': file[1] });
  fs.createReadStream(path.join(root, file[0])).pipe(res);
});
server.listen(Number(port), host, () => {
  const { port: bound } = server.address();
  console.log(`dashboard of ${node} on http://${host}:${bound}/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
