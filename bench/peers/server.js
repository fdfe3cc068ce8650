// Benchmark peer: the usual way an overlay server is built with Node.js.
// POST /lives/{id}/donations -> per-live seq and totals -> one JSON frame built
// once -> sent to every WebSocket subscriber of that live (ws package, deflate
// off). A subscriber whose send buffer passes 1 MiB is dropped. Not durable.
//
//   node server.js PORT
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8090);
const lives = new Map(); // id -> { seq, raised, count, subs: Set<WebSocket> }
let campaignRaised = 0;
let campaignCount = 0;
let nextDonation = 1;

function live(id) {
  let l = lives.get(id);
  if (!l) {
    l = { seq: 0, raised: 0, count: 0, subs: new Set() };
    lives.set(id, l);
  }
  return l;
}

const server = http.createServer((req, res) => {
  const m = /^\/lives\/([a-z0-9-]{1,64})\/donations$/.exec(req.url);
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method !== 'POST' || !m) {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_json"}');
      return;
    }
    const l = live(m[1]);
    l.seq += 1;
    l.raised += body.amount;
    l.count += 1;
    campaignRaised += body.amount;
    campaignCount += 1;
    const donation = {
      id: 'd' + nextDonation++,
      live_id: m[1],
      amount: body.amount,
      currency: body.currency,
      matched: 0,
      donor: body.donor || null,
      message: body.message || null,
      platform: null,
      at: new Date().toISOString(),
      refunded: false,
    };
    const totals = { raised: l.raised, matched: 0, total: l.raised, donations: l.count };
    const campaign = { raised: campaignRaised, matched: 0, total: campaignRaised, donations: campaignCount };
    // Serialized once, the same buffer for every subscriber.
    const frame = Buffer.from(JSON.stringify({ type: 'donation', seq: l.seq, donation, totals, campaign_totals: campaign }));
    for (const ws of l.subs) {
      if (ws.bufferedAmount > 1024 * 1024) {
        ws.terminate();
        continue;
      }
      ws.send(frame, { binary: false });
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ donation, totals, campaign_totals: campaign }));
  });
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 });
server.on('upgrade', (req, socket, head) => {
  const m = /^\/ws\/lives\/([a-z0-9-]{1,64})(\?.*)?$/.exec(req.url);
  if (!m) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const l = live(m[1]);
    l.subs.add(ws);
    ws.on('close', () => l.subs.delete(ws));
    ws.on('error', () => l.subs.delete(ws));
    ws.send(JSON.stringify({ type: 'snapshot', seq: l.seq, totals: { raised: l.raised, matched: 0, total: l.raised, donations: l.count } }));
  });
});

server.listen(port, '127.0.0.1', 4096, () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
