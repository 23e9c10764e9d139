// Reads CVSS v4.0 vectors, one a line, on stdin; writes "<js-cvss score> <ae-cvss-calculator score>" per line
// ("error" when a calculator rejects the vector). Argument: the node_modules folder the two are installed in.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.argv[2];
const require = createRequire(path.join(modules, 'x.js'));
const { Cvss4P0 } = require('ae-cvss-calculator');
// @pandatix/js-cvss 0.4.4 ships ES modules whose relative imports lack the ".js" Node needs: load a fixed-up copy.
const dist = path.join(modules, '@pandatix/js-cvss/dist');
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'js-cvss-'));
fs.writeFileSync(path.join(copy, 'package.json'), '{"type":"module"}');
for (const f of ['cvss40.js', 'errors.js'])
  fs.writeFileSync(path.join(copy, f), fs.readFileSync(path.join(dist, f), 'utf8').replace(/from '\.\/(\w+)'/g, "from './$1.js'"));
const { CVSS40 } = await import(pathToFileURL(path.join(copy, 'cvss40.js')).href);
fs.rmSync(copy, { recursive: true, force: true });

const score = (f) => { try { const s = f(); return typeof s === 'number' && !Number.isNaN(s) ? s.toFixed(1) : 'error'; } catch { return 'error'; } };
const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
const out = lines.map((v) => `${score(() => new CVSS40(v).Score())} ${score(() => new Cvss4P0(v).calculateScores().overall)}`);
process.stdout.write(out.join('\n') + '\n');
