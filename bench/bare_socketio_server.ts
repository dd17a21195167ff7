/**
 * A bare Socket.io server, what a user would run instead of the fleet's edge:
 * socket.io on node:http with its defaults, no adapter, no authentication, no
 * rooms beyond its own. `chat_sockets` runs it as a process of its own
 * (`deno run bench/bare_socketio_server.ts <port>`) and measures its memory
 * with the same clients. Prints "listening <port>" once it serves.
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(Deno.args[0] ?? 0);
const http = createServer((_request, response) => {
  response.writeHead(404).end();
});
const io = new Server(http, { path: "/socket.io/", serveClient: false });
io.on("connection", () => {});
http.listen(port, "127.0.0.1", () => {
  const address = http.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : port}`);
});
Deno.addSignalListener("SIGTERM", () => {
  io.close();
  http.closeAllConnections();
  Deno.exit(0);
});
