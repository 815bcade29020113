// The editor's WebSocket to `ws/clusters/<id>/`: reconnects with backoff, routes each
// server message type to one handler, and queues sends while (re)connecting.

export class LiveSocket {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.queue = [];
    this.delay = 500;
    this.closed = false;
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.handlers.open?.();
      for (const msg of this.queue.splice(0)) ws.send(JSON.stringify(msg));
    };
    ws.onmessage = (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      // A trace arrives as one frame holding all its messages, in order.
      for (const msg of Array.isArray(data) ? data : [data]) {
        (this.handlers[msg.type] ?? this.handlers.unknown)?.(msg);
      }
    };
    ws.onclose = (e) => {
      this.handlers.close?.(e);
      if (this.closed || e.code === 4403 || e.code === 4404) return; // refused: do not hammer
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
    else this.queue.push(msg);
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }
}
