// opcua_client.js URL: what an engineering tool does on connect, in clear
// (SecurityMode None): GetEndpoints, OpenSecureChannel, CreateSession,
// ActivateSession, Read of Server_ServerStatus (carries BuildInfo), close.
"use strict";
const { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds } =
  require("node-opcua-client");

async function main() {
  const url = process.argv[2];
  const client = OPCUAClient.create({
    applicationName: "svpassive-test-client",
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
  });
  await client.connect(url);
  const session = await client.createSession();
  const dv = await session.read({ nodeId: "ns=0;i=2256", attributeId: AttributeIds.Value });
  const bi = dv.value && dv.value.value && dv.value.value.buildInfo;
  process.stdout.write("buildInfo " + (bi ? bi.productName + " " + bi.softwareVersion : "?") + "\n");
  await session.close();
  await client.disconnect();
}
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
