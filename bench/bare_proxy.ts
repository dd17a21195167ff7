/**
 * The floor of a Deno reverse proxy, for the gateway benchmark: `Deno.serve`
 * passing every request to one upstream with `fetch` and back, nothing else (no
 * middleware, no header rules, no limits). What the gateway costs beyond it is
 * its own work; what this costs beyond nginx is the runtime's HTTP server and
 * client.
 *
 *   deno run --allow-net=127.0.0.1 bench/bare_proxy.ts <port> <upstream origin>
 */
const [port, upstream] = Deno.args;
Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen: () => {} }, async (request) => {
  const url = new URL(request.url);
  const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  return new Response(answer.body, { status: answer.status, headers: new Headers(answer.headers) });
});
