// Attaches a Sigstore bundle to an image as an OCI 1.1 referrer with @sigstore/oci (what sigstore-js clients such as
// actions/attest do), against a registry on loopback (plain HTTP for 127.0.0.1). Prints the artifact's descriptor.
// Without USER:PASSWORD it attaches anonymously (no sign-in: @sigstore/oci's sign-in probe expects a 401 challenge or
// a 200, while an open registry rightly answers the probe's upload POST with 202).
// usage: node attach-with-oci.js HOST:PORT/REPOSITORY sha256:HEX BUNDLE.json [USER:PASSWORD]
'use strict';
const fs = require('fs');
const { attachArtifactToImage } = require('@sigstore/oci');

const [imageName, imageDigest, bundlePath, login] = process.argv.slice(2);
const artifact = fs.readFileSync(bundlePath);
const bundle = JSON.parse(artifact.toString('utf8'));
const statement = bundle.dsseEnvelope ? JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) : null;
attachArtifactToImage({
  imageName,
  imageDigest,
  artifact,
  mediaType: bundle.mediaType,
  annotations: {
    'dev.sigstore.bundle.content': bundle.dsseEnvelope ? 'dsse-envelope' : 'message-signature',
    ...(statement ? { 'dev.sigstore.bundle.predicateType': statement.predicateType } : {}),
  },
  credentials: login ? { username: login.split(':')[0], password: login.split(':').slice(1).join(':') } : undefined,
}).then((descriptor) => console.log(JSON.stringify({ ok: true, descriptor })), (e) => {
  console.error(e && e.stack ? e.stack : String(e), e && e.cause ? `\ncause: ${e.cause.stack || e.cause}` : '');
  process.exit(1);
});
