// Reads a WebSocket live stream (WebSocket-FLV or -TS, as flv.js and mpegts.js do) in headless
// Chromium for at most N seconds, writes the bytes that arrived to OUT, and prints one JSON
// object: the bytes and binary messages received, and how the socket closed (null: still open).
//
//   node websocket.mjs '{"url": "ws://...", "seconds": N, "out": "OUT"}'
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const { url, seconds, out } = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  const result = await page.evaluate(
    ({ url, seconds }) =>
      new Promise((resolve) => {
        const chunks = [];
        let messages = 0;
        const socket = new WebSocket(url);
        socket.binaryType = 'arraybuffer';
        const finish = (closed) => {
          const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
          let at = 0;
          for (const c of chunks) {
            bytes.set(new Uint8Array(c), at);
            at += c.byteLength;
          }
          let binary = '';
          for (let i = 0; i < bytes.length; i += 0x8000) {
            binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          }
          resolve({ messages, closed, base64: btoa(binary) });
        };
        socket.onmessage = (event) => {
          if (event.data instanceof ArrayBuffer) {
            messages += 1;
            chunks.push(event.data);
          }
        };
        socket.onclose = (event) => finish({ code: event.code, reason: event.reason });
        setTimeout(() => finish(null), seconds * 1000);
      }),
    { url, seconds },
  );
  const bytes = Buffer.from(result.base64, 'base64');
  writeFileSync(out, bytes);
  delete result.base64;
  process.stdout.write(JSON.stringify({ ...result, bytes: bytes.length }) + '\n');
} finally {
  await browser.close();
}
