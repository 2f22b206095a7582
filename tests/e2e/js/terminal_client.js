// Drives the Lite Terminal the way the VS Code extension's webSocketTerminal.ts does, with
// the same npm library (ws): the session cookie on the upgrade, config after init, then
// each line of argv[4..] at a prompt. Prints one JSON object: every message received.
"use strict";
const WebSocket = require(process.argv[2]);
const [url, cookie, ...lines] = process.argv.slice(3);
const received = [];
const socket = new WebSocket(url, { headers: { cookie } });
const timer = setTimeout(() => { console.log(JSON.stringify({ received, error: "timeout" })); process.exit(1); }, 60000);
socket.on("error", (error) => { console.log(JSON.stringify({ received, error: String(error) })); process.exit(1); });
socket.on("message", (data) => {
  const message = JSON.parse(data);
  received.push(message);
  if (message.type === "init") {
    socket.send(JSON.stringify({ type: "config", namespace: "USER", rawMode: false }));
  } else if (message.type === "prompt") {
    const line = lines.shift();
    if (line === undefined) {
      clearTimeout(timer);
      socket.close();
      console.log(JSON.stringify({ received }));
    } else {
      socket.send(JSON.stringify({ type: "prompt", input: line }));
    }
  }
});
