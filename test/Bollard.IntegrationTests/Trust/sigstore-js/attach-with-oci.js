// Attaches a Sigstore bundle to an image as an OCI 1.1 referrer with @sigstore/oci (what sigstore-js clients such as
// actions/attest do), against a registry on loopback (plain HTTP for 127.0.0.1). Prints the artifact's descriptor.
// usage: node attach-with-oci.js HOST:PORT/REPOSITORY sha256:HEX BUNDLE.json
'use strict';
const fs = require('fs');
const { attachArtifactToImage } = require('@sigstore/oci');

const [imageName, imageDigest, bundlePath] = process.argv.slice(2);
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
  credentials: { username: '', password: '' },
}).then((descriptor) => console.log(JSON.stringify({ ok: true, descriptor })), (e) => {
  console.error(e && e.stack ? e.stack : String(e), e && e.cause ? `\ncause: ${e.cause.stack || e.cause}` : '');
  process.exit(1);
});
