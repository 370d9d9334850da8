import WebSocket from '/work/main/node_modules/ws/index.js';
import { readFileSync } from 'node:fs';
const lines = readFileSync(process.argv[2], 'utf8').trim().split('\n');
const ws = new WebSocket(process.argv[3]);
ws.on('message', (d) => console.log('< ' + d));
ws.on('open', async () => { console.log('Connected'); for (const l of lines) { console.log('> ' + l); ws.send(l); await new Promise(r => setTimeout(r, 300)); } ws.close(); });
