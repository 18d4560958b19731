// Start a local Bluesky network (PLC, PDS, AppView) for the connector tests.
// Run from the project root with Node 22 (see tests/networks/bluesky/conftest.py).
// BSKY_PDS_PORT, BSKY_APPVIEW_PORT, BSKY_PLC_PORT: 0 picks a free port.
// Prints one JSON line {"pds": …, "appview": …} when ready; SIGTERM stops it.
const dir = process.cwd() + '/.cache/bluesky/devenv/node_modules/@atproto/dev-env';
const { TestNetwork } = await import(dir + '/dist/index.js');
const port = (n, d) => { const p = Number(process.env[n] ?? d); return p ? { port: p } : {}; };
const net = await TestNetwork.create({ dbPostgresSchema: 'dev',
  pds: { ...port('BSKY_PDS_PORT', 2583), hostname: 'localhost' },
  bsky: port('BSKY_APPVIEW_PORT', 2584), plc: port('BSKY_PLC_PORT', 2582) });
const sc = net.getSeedClient();
for (const u of ['alice', 'bob'])
  await sc.createAccount(u, { handle: `${u}.test`, email: `${u}@x.invalid`, password: `${u}-pass` });
await net.processAll();
console.log(JSON.stringify({ pds: net.pds.url, appview: net.bsky.url, plc: net.plc.url }));
process.on('SIGTERM', async () => { await net.close(); process.exit(0); });
