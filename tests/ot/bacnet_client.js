// bacnet_client.js LOCAL_ADDR DEVICE_ADDR: what a building-management front
// end does with npm node-bacnet: ReadPropertyMultiple of the device's
// identification, ReadProperty of its object name, Who-Is. Exit 0 if the
// device answered both reads.
"use strict";
const Bacnet = require("node-bacnet");
const E = Bacnet.enum;

const client = new Bacnet({ interface: process.argv[2], apduTimeout: 3000 });
const dev = { address: process.argv[3] };
const wildcard = { type: E.ObjectType.DEVICE, instance: 4194303 };
const done = (code) => { client.close(); process.exit(code); };
setTimeout(() => done(1), 10000);
client.on("listening", () => {
  client.readPropertyMultiple(dev, [{ objectId: wildcard, properties: [
    { id: E.PropertyIdentifier.VENDOR_NAME }, { id: E.PropertyIdentifier.MODEL_NAME },
    { id: E.PropertyIdentifier.FIRMWARE_REVISION },
    { id: E.PropertyIdentifier.APPLICATION_SOFTWARE_VERSION }] }], (err) => {
    if (err) return done(1);
    client.readProperty(dev, wildcard, E.PropertyIdentifier.OBJECT_NAME, (err2) => {
      if (err2) return done(1);
      client.whoIs({ address: process.argv[3] });
      setTimeout(() => done(0), 500);
    });
  });
});
