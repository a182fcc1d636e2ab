// opcua_server.js PORT: a stock node-opcua server (no custom address space),
// security mode None allowed, for the OT rule tests. Prints "ready" on stdout
// once listening; runs until killed.
"use strict";
const { OPCUAServer } = require("node-opcua-server");
const { MessageSecurityMode, SecurityPolicy } = require("node-opcua-client");

async function main() {
  const port = parseInt(process.argv[2] || "53530", 10);
  const server = new OPCUAServer({
    port,
    hostname: process.argv[3] || "127.0.0.1",
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
  });
  await server.initialize();
  await server.start();
  process.stdout.write("ready " + server.getEndpointUrl() + "\n");
}
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
