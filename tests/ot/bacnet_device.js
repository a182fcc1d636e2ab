// bacnet_device.js ADDR [PORT]: a BACnet/IP device built on npm node-bacnet
// (its own encoders), answering Who-Is, ReadProperty and
// ReadPropertyMultiple for its Device object (also under the wildcard
// instance 4194303) with fixed vendor/model/firmware texts.
// Prints "ready" once bound; runs until killed.
"use strict";
const Bacnet = require("node-bacnet");
const E = Bacnet.enum;

const DEVICE = 260001, VENDOR_ID = 999;
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

const client = new Bacnet({ interface: process.argv[2] || "127.0.0.1",
                            port: parseInt(process.argv[3] || "47808", 10) });
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
client.on("listening", () => process.stdout.write("ready\n"));
