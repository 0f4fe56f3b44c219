// A service that depends on a separate database process, for the database fault tests: GET /orders
// reads the orders from the database — json-server (a third-party REST document store, a
// devDependency) at $DB_URL — and answers 503 while the database cannot answer. GET /health/ready
// answers 200 while this process runs, whatever the database does.
// Usage: PORT=… DB_URL=http://127.0.0.1:… node orders-service.mjs
import http from 'node:http';

const db = process.env.DB_URL;
http
  .createServer(async (req, res) => {
    if (req.url === '/health/ready') return res.end('ok');
    if (req.url?.startsWith('/orders')) {
      try {
        const answer = await fetch(`${db}/orders`, { signal: AbortSignal.timeout(1000) });
        if (!answer.ok) throw new Error(`the database answered ${answer.status}`);
        const body = await answer.text();
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch (error) {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: `database unavailable: ${error?.cause?.code ?? error?.message}` }));
      }
      return;
    }
    res.writeHead(404).end();
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
