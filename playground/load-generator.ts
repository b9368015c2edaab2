import { Agent, request } from 'node:http';

export interface LoadGenerator {
  sent(): number;
  stop(): Promise<void>;
}

/** Sends GET requests to `url` at a steady rate until stopped; answers are read and dropped. */
export function startLoad(url: string, requestsPerSecond: number): LoadGenerator {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let sent = 0;
  let inFlight = 0;
  const tickMs = 50;
  let owed = 0;
  const timer = setInterval(() => {
    owed += (requestsPerSecond * tickMs) / 1000;
    while (owed >= 1) {
      owed -= 1;
      sent++;
      inFlight++;
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => inFlight--);
      });
      req.on('error', () => inFlight--);
      req.end();
    }
  }, tickMs);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      const deadline = Date.now() + 2_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      agent.destroy();
    },
  };
}
