import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import Koa from 'koa';
import { openSse, type SseEnd } from '../../src/api/sse.js';

const EVENT_DATA = 'x'.repeat(16 * 1024);

void describe('openSse', () => {
  void it('ends the stream of a client that never reads once more than maxBufferedBytes are queued for it', async () => {
    const maxBufferedBytes = 64 * 1024;
    let sent = 0;
    let ended: (end: SseEnd) => void = () => undefined;
    const endedBy = new Promise<SseEnd>((resolve) => (ended = resolve));
    const app = new Koa();
    app.use(async (ctx) => {
      const sse = openSse(ctx, { maxBufferedBytes });
      let over: SseEnd | undefined;
      void sse.done.then((by) => (over = by));
      // Writes as fast as the event loop allows, as a busy run would, until the writer gives up.
      while (over === undefined && sent < 10_000) {
        sse.send({ id: String(sent), event: 'chunk', data: EVENT_DATA });
        sent++;
        await tick();
      }
      ended(await sse.done);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      client.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
      // The client never reads: the kernel's buffers fill, then the server's.
      client.pause();
      assert.equal(await endedBy, 'server');
      assert.ok(sent < 10_000, `the stream ended after ${sent} events of 16 KiB`);
    } finally {
      client.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});
