// Verifies a Sigstore bundle offline with @sigstore/verify and a public key, then checks that its in-toto statement names
// the expected image digest (what a verifier of an image signature must bind). Prints {"ok":true,...} or
// {"ok":false,"error":...} and exits 0 or 1.
// usage: node verify-with-key.js BUNDLE.json PUBLIC_KEY.pem SHA256_HEX
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, keyPath, digest] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const expectedHint = crypto.createHash('sha256').update(spki).digest('base64');

  // No CA, log or timestamp authority: the key alone is trusted, found by the bundle's hint.
  const root = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
  const trust = toTrustMaterial(root, (hint) => {
    if (hint !== expectedHint) throw new Error(`bundle key hint ${hint} is not the key's ${expectedHint}`);
    return { publicKey, validFor: () => true };
  });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));

  if (bundle.content.$case !== 'dsseEnvelope') throw new Error(`expected a DSSE bundle, got ${bundle.content.$case}`);
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== 'application/vnd.in-toto+json') throw new Error(`payload type ${envelope.payloadType}`);
  const statement = JSON.parse(envelope.payload.toString('utf8'));
  const subject = (statement.subject || []).find((s) => s.digest && s.digest.sha256 === digest);
  if (!subject) throw new Error(`the statement names ${JSON.stringify(statement.subject)}, not sha256:${digest}`);
  console.log(JSON.stringify({ ok: true, mediaType: bundle.mediaType, subject: subject.name, predicateType: statement.predicateType }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
  process.exit(1);
}
