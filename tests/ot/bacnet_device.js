// bacnet_device.js ADDR [PORT] [OPTIONS]: a BACnet/IP device built on npm
// node-bacnet (its own encoders), answering Who-Is, ReadProperty and
// ReadPropertyMultiple for its Device object (also under the wildcard
// instance 4194303) with fixed vendor/model/firmware texts.
// Prints "ready" once bound; runs until killed. Options (peers on one
// port, tests/ot/test_udp_live.sh):
//   --instance N       its device instance (default 260001)
//   --broadcast ADDR   the subnet's broadcast address (node-bacnet's default
//                      is 255.255.255.255)
//   --announce         once bound, send I-Am to everyone (unsolicited)
//   --who-is           once bound, send Who-Is to everyone (a front end
//                      looking for devices)
//   --peer ADDR        once bound, read that device's identification as
//                      bacnet_client.js does; prints "peer ok" or "peer failed"
//   --ask-back         read back the first device that reads this one (both
//                      then serve each other); prints "asked back ok"
"use strict";
const Bacnet = require("node-bacnet");
const E = Bacnet.enum;

const argv = process.argv.slice(2);
const pos = argv.filter((a, i) => !a.startsWith("--") && !(i > 0 && ["--instance", "--broadcast",
  "--peer"].includes(argv[i - 1])));
const opt = (name) => { const i = argv.indexOf(name); return i < 0 ? null : (argv[i + 1] || ""); };
const DEVICE = parseInt(opt("--instance") || "260001", 10), VENDOR_ID = 999;
const text = (s) => [{ type: E.ApplicationTag.CHARACTER_STRING, value: s }];
const props = {
  [E.PropertyIdentifier.OBJECT_IDENTIFIER]:
    [{ type: E.ApplicationTag.OBJECTIDENTIFIER, value: { type: E.ObjectType.DEVICE, instance: DEVICE } }],
  [E.PropertyIdentifier.OBJECT_NAME]: text("svpassive-lab-ahu"),
  [E.PropertyIdentifier.VENDOR_NAME]: text("svpassive lab"),
  [E.PropertyIdentifier.VENDOR_IDENTIFIER]: [{ type: E.ApplicationTag.UNSIGNED_INTEGER, value: VENDOR_ID }],
  [E.PropertyIdentifier.MODEL_NAME]: text("BAC-DEV-1"),
  [E.PropertyIdentifier.FIRMWARE_REVISION]: text("1.4.2"),
  [E.PropertyIdentifier.APPLICATION_SOFTWARE_VERSION]: text("2.0"),
};
const isMe = (o) => o.type === E.ObjectType.DEVICE && (o.instance === DEVICE || o.instance === 4194303);

const settings = { interface: pos[0] || "127.0.0.1", port: parseInt(pos[1] || "47808", 10),
                   apduTimeout: 3000 };
if (opt("--broadcast"))
  settings.broadcastAddress = opt("--broadcast");
const client = new Bacnet(settings);
client.on("error", (e) => process.stderr.write(String(e) + "\n"));
client.on("whoIs", (msg) => client.iAmResponse(msg.header.sender, DEVICE, E.Segmentation.NO_SEGMENTATION, VENDOR_ID));
client.on("readProperty", (msg) => {
  const p = msg.payload;
  if (!isMe(p.objectId) || !props[p.property.id])
    return client.errorResponse(msg.header.sender, E.ConfirmedServiceChoice.READ_PROPERTY,
                                msg.invokeId, E.ErrorClass.PROPERTY, E.ErrorCode.UNKNOWN_PROPERTY);
  client.readPropertyResponse(msg.header.sender, msg.invokeId,
                              { type: E.ObjectType.DEVICE, instance: DEVICE }, p.property, props[p.property.id]);
});
client.on("readPropertyMultiple", (msg) => {
  const out = msg.payload.properties.filter((r) => isMe(r.objectId)).map((r) => ({
    objectId: { type: E.ObjectType.DEVICE, instance: DEVICE },
    values: r.properties.map((q) => ({ property: { id: q.id, index: E.ASN1_ARRAY_ALL },
                                        value: props[q.id] || text("") })),
  }));
  client.readPropertyMultipleResponse(msg.header.sender, msg.invokeId, out);
});
// Read a device's identification (ReadPropertyMultiple, then ReadProperty);
// done(ok) once both were answered or one failed.
const readDevice = (address, done) => {
  const dev = { address };
  const wildcard = { type: E.ObjectType.DEVICE, instance: 4194303 };
  client.readPropertyMultiple(dev, [{ objectId: wildcard, properties: [
    { id: E.PropertyIdentifier.VENDOR_NAME }, { id: E.PropertyIdentifier.MODEL_NAME }] }],
  (err) => {
    if (err) return done(false);
    client.readProperty(dev, wildcard, E.PropertyIdentifier.OBJECT_NAME, (err2) => done(!err2));
  });
};
let askedBack = false;
if (argv.includes("--ask-back")) {
  const back = (msg) => {
    if (askedBack)
      return;
    askedBack = true;
    // the sender is "ip:port" when the port is not 47808, else "ip"
    readDevice(msg.header.sender.address, (ok) =>
      process.stdout.write(ok ? "asked back ok\n" : "asked back failed\n"));
  };
  client.on("readPropertyMultiple", back);
  client.on("readProperty", back);
}
client.on("listening", () => {
  process.stdout.write("ready\n");
  if (argv.includes("--announce"))
    client.iAmResponse(null, DEVICE, E.Segmentation.NO_SEGMENTATION, VENDOR_ID);
  if (argv.includes("--who-is"))
    client.whoIs();
  if (opt("--peer"))
    readDevice(opt("--peer"), (ok) => process.stdout.write(ok ? "peer ok\n" : "peer failed\n"));
});
