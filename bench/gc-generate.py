#!/usr/bin/env python3
"""Fills a stopped Bollard's data folder (its database already migrated) with a registry for the GC bench:
BLOBS small blob files with their metadata rows, MANIFESTS manifests over REPOS repositories, each referencing
a config and 3 layers; half the manifests tagged, the rest untagged (kept by the default policy). Half the blobs are
referenced by no manifest (their links are old): a full GC removes those links and blobs.
Usage: gc-generate.py DATA_DIR [BLOBS] [MANIFESTS] [REPOS]"""
import hashlib, json, os, sqlite3, sys, time

data = sys.argv[1]
n_blobs = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
n_manifests = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
n_repos = int(sys.argv[4]) if len(sys.argv) > 4 else 200
old = int((time.time() - 7 * 86400) * 1000)

db = sqlite3.connect(os.path.join(data, "bollard.db"))
db.execute("PRAGMA synchronous=OFF")
blobs = []
for i in range(n_blobs):
    content = b"gc-bench blob %d " % i + os.urandom(16)
    hexd = hashlib.sha256(content).hexdigest()
    folder = os.path.join(data, "blobs", "sha256", hexd[:2])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hexd), "wb") as f:
        f.write(content)
    blobs.append(("sha256:" + hexd, len(content)))

cur = db.cursor()
cur.executemany("INSERT INTO repositories(name, created_at) VALUES (?, ?)", [(f"bench/repo{r}", old) for r in range(n_repos)])
repo_ids = [row[0] for row in cur.execute("SELECT id FROM repositories WHERE name LIKE 'bench/repo%' ORDER BY id")]
# Blob i is linked into repository i % REPOS; the first half of the blobs is used by manifests of that repository.
cur.executemany("INSERT INTO repository_blobs(repository_id, digest, size, created_at) VALUES (?, ?, ?, ?)",
                [(repo_ids[i % n_repos], d, s, old) for i, (d, s) in enumerate(blobs)])
used = [i for i in range(n_blobs // 2)]
per_repo = {}
for i in used:
    per_repo.setdefault(i % n_repos, []).append(i)
manifests, refs, tags = [], [], []
for m in range(n_manifests):
    r = m % n_repos
    pool = per_repo[r]
    picks = [pool[(m // n_repos * 4 + k) % len(pool)] for k in range(4)]
    config, layers = blobs[picks[0]], [blobs[p] for p in picks[1:]]
    body = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s} for d, s in layers],
        "annotations": {"n": str(m)},
    }, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    tagged = m % 2 == 0
    manifests.append((repo_ids[r], digest, "application/vnd.oci.image.manifest.v1+json", len(body), body, old, None if tagged else old))
    for d in {config[0], *[d for d, _ in layers]}:
        refs.append((repo_ids[r], digest, "b", d))
    if tagged:
        tags.append((repo_ids[r], f"t{m}", digest, old))
cur.executemany("INSERT INTO manifests(repository_id, digest, media_type, size, content, created_at, untagged_at) VALUES (?, ?, ?, ?, ?, ?, ?)", manifests)
cur.executemany("INSERT OR IGNORE INTO manifest_references VALUES (?, ?, ?, ?)", refs)
cur.executemany("INSERT INTO tags(repository_id, name, manifest_digest, updated_at) VALUES (?, ?, ?, ?)", tags)
db.commit()
unused = n_blobs - len({d for (_, _, _, d) in refs})
print(f"{n_blobs} blobs, {n_manifests} manifests ({len(tags)} tagged) in {n_repos} repositories; {unused} blobs no manifest references")
with open(os.path.join(data, "gc-bench-targets.txt"), "w") as f:
    f.write(f"bench/repo0 t0 {manifests[0][1]} {blobs[0][0]}\n")
