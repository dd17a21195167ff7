/**
 * Deno Deploy entry: Deploy runs a module with `deno run`, so it needs a
 * `Deno.serve` call; main.ts's default export stays for `deno serve`.
 */
import service from "./main.ts";

Deno.serve(service.fetch);
