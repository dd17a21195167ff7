/**
 * A child for supervisor_test.ts: with CHILD_PORT it serves `/readyz` until it
 * is killed; without it, it exits with code 3 at once (a crash loop).
 */
const port = Deno.env.get("CHILD_PORT");
if (!port) {
  console.error("restartable child: crashing on purpose");
  Deno.exit(3);
}
Deno.serve(
  { hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("listening") },
  () => new Response("ready"),
);
