#!/usr/bin/env python3
"""Fills a stopped Bollard's data folder (its database already migrated) with the package index of a registry for the
"which images contain package X" bench (issue 8): IMAGES image manifests over REPOS repositories (team-0 .. team-N,
each image tagged), each with the 88 packages of the real bookworm minbase dpkg status (vulndata) in scan_packages, as
the scanner stores them, and one image in LOG4J_EVERY with org.apache.logging.log4j:log4j-core (maven) in a jar.
Rows are written directly (pushing and scanning thousands of images would take the bench hours); the query reads
only these tables. Deterministic. Usage: packages-generate.py DATA_DIR STATUS_FILE [IMAGES] [REPOS] [LOG4J_EVERY]"""
import hashlib, json, os, sqlite3, sys, time

data, status = sys.argv[1], sys.argv[2]
n_images = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
n_repos = int(sys.argv[4]) if len(sys.argv) > 4 else 100
log4j_every = int(sys.argv[5]) if len(sys.argv) > 5 else 20
now = int(time.time() * 1000)

packages = []
for stanza in open(status, encoding="utf-8").read().split("\n\n"):
    fields = {}
    for line in stanza.split("\n"):
        if line and not line[0].isspace() and ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k, v.strip())
    if "Package" in fields and "Version" in fields and fields.get("Status", "").endswith(" installed"):
        source = fields.get("Source", "").split(" ")[0] or None
        packages.append((fields["Package"], fields["Version"], source if source != fields["Package"] else None))

db = sqlite3.connect(os.path.join(data, "bollard.db"))
db.execute("PRAGMA synchronous=OFF")
cur = db.cursor()
cur.executemany("INSERT INTO repositories(name, created_at) VALUES (?, ?)", [(f"team-{r}/app", now) for r in range(n_repos)])
repo_ids = [row[0] for row in cur.execute("SELECT id FROM repositories WHERE name LIKE 'team-%/app' ORDER BY id")]
manifests, tags, rows = [], [], []
for m in range(n_images):
    r = m % n_repos
    config = "sha256:" + hashlib.sha256(b"config %d" % m).hexdigest()
    layer = "sha256:" + hashlib.sha256(b"bookworm-minbase").hexdigest()
    body = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 100},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 30000000}],
        "annotations": {"n": str(m)},
    }, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    manifests.append((repo_ids[r], digest, "application/vnd.oci.image.manifest.v1+json", len(body), body, now))
    tags.append((repo_ids[r], f"v{m // n_repos}", digest, now))
    for name, version, source in packages:
        rows.append((digest, "deb", name, version, name, source, f"pkg:deb/debian/{name}",
                     f"pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12", "/var/lib/dpkg/status"))
    if m % log4j_every == 0:
        v = ["2.14.1", "2.17.1", "2.20.0"][m // log4j_every % 3]
        rows.append((digest, "maven", "org.apache.logging.log4j:log4j-core", v, "org.apache.logging.log4j:log4j-core", None,
                     "pkg:maven/org.apache.logging.log4j/log4j-core", f"pkg:maven/org.apache.logging.log4j/log4j-core@{v}", "/app/lib/log4j-core.jar"))
cur.executemany("INSERT INTO manifests(repository_id, digest, media_type, size, content, created_at) VALUES (?, ?, ?, ?, ?, ?)", manifests)
cur.executemany("INSERT INTO tags(repository_id, name, manifest_digest, updated_at) VALUES (?, ?, ?, ?)", tags)
cur.executemany("INSERT INTO scan_packages(digest, type, name, version, key_name, key_source, purl_base, purl, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.commit()
db.execute("ANALYZE")
print(f"{n_images} images in {n_repos} repositories, {len(rows)} package rows ({len(packages)} dpkg packages per image, log4j-core in 1 of {log4j_every})")
