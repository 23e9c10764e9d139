// Signs an image the keyless way with @sigstore/sign against @sigstore/mock's in-process Fulcio-like CA, Rekor-like
// log and RFC 3161 timestamp authority (served over loopback HTTP), as three certificate identities. Writes
// OUT/trusted_root.json (the mock's CA, log, CT log and TSA) and one bundle per identity: OUT/<name>.json (with a log
// entry and a timestamp), OUT/<name>.tsa-only.json (a timestamp, no log entry) and OUT/<name>.unwitnessed.json
// (neither). The log entries are of kind intoto: the mock log stores the proposed entry as its body, which for a dsse
// entry differs from what a real Rekor records, while an intoto proposal already has the recorded shape. Every
// witnessed bundle is also verified with @sigstore/verify (identity, issuer, SCT, log entry, timestamp).
// usage: node sign-with-mock.js OUT_DIR SHA256_HEX SUBJECT_NAME ISSUER NAME=IDENTITY_URI...
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const mock = require('@sigstore/mock');
const { bundleToJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = require('@sigstore/sign');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [outDir, digest, subjectName, issuer, ...identities] = process.argv.slice(2);

const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const b64 = (bytes) => Buffer.from(bytes.buffer ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes).toString('base64');
const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// One loopback server routes each mock service's POST path to its handler.
function serve(handlers) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const handler = handlers.find((h) => req.method === 'POST' && req.url.split('?')[0] === h.path);
      if (!handler) { res.writeHead(404); res.end(); return; }
      const { statusCode, response, contentType } = await handler.fn(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' });
      res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const ctlog = await mock.initializeCTLog(keyPair());
  const ca = await mock.initializeCA(keyPair(), ctlog);
  const tlog = await mock.initializeTLog('https://rekor.mock.bollard.test', keyPair());
  const tsa = await mock.initializeTSA(keyPair());
  const server = await serve([mock.fulcioHandler(ca), mock.rekorHandler(tlog), mock.tsaHandler(tsa)]);
  const base = `http://127.0.0.1:${server.address().port}`;

  const start = new Date(Date.now() - 3600 * 1000).toISOString();
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: 'https://rekor.mock.bollard.test', hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: 'https://fulcio.mock.bollard.test',
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: { start },
    }],
    ctlogs: [{
      baseUrl: 'https://ctfe.mock.bollard.test', hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(ctlog.logID) },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: 'https://tsa.mock.bollard.test',
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] }, validFor: { start },
    }],
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'trusted_root.json'), JSON.stringify(root, null, 2));
  const trust = toTrustMaterial(TrustedRoot.fromJSON(root));

  const statement = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: subjectName, digest: { sha256: digest } }],
    predicateType: 'https://sigstore.dev/cosign/sign/v1',
    predicate: {},
  }));
  const written = [];
  for (const pair of identities) {
    const [name, identity] = pair.split('=');
    const now = Math.floor(Date.now() / 1000);
    // The mock Fulcio reads the token's claims without checking its signature: sub becomes the SAN URI, iss the issuer extension.
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: issuer, sub: identity, aud: 'sigstore', iat: now, exp: now + 600 })}.sig`;
    const variants = {
      '': [new RekorWitness({ rekorBaseURL: base, entryType: 'intoto' }), new TSAWitness({ tsaBaseURL: base })],
      '.tsa-only': [new TSAWitness({ tsaBaseURL: base })],
      '.unwitnessed': [],
    };
    for (const [suffix, witnesses] of Object.entries(variants)) {
      const thresholds = { ctlogThreshold: 1, tlogThreshold: suffix === '' ? 1 : 0, timestampThreshold: suffix === '.unwitnessed' ? 0 : 1 };
      const file = path.join(outDir, `${name}${suffix}.json`);
      // The mock TSA writes genTime with milliseconds, and @sigstore/core refuses some of those encodings ("invalid
      // time", e.g. a fraction with a trailing zero): such a bundle is signed again rather than handed on.
      for (let attempt = 1; ; attempt++) {
        const signer = new FulcioSigner({ fulcioBaseURL: base, identityProvider: { getToken: async () => token } });
        const bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({ data: statement, type: 'application/vnd.in-toto+json' });
        fs.writeFileSync(file, JSON.stringify(bundleToJSON(bundle)));
        try {
          if (suffix !== '.unwitnessed') {
            new Verifier(trust, thresholds).verify(toSignedEntity(bundle), { subjectAlternativeName: identity, extensions: { issuer } });
          }
          break;
        } catch (e) {
          if (attempt >= 5 || !/invalid time/.test(String(e && e.message))) throw e;
        }
      }
      written.push(file);
    }
  }
  server.close();
  console.log(JSON.stringify({ ok: true, written }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
