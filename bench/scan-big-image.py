#!/usr/bin/env python3
"""The scan bench's large image (issue 8, "a 500 MB image with 20k files"), generated deterministically: the bookworm
minbase image of scripts/scan-fixtures.sh (its layer, byte for byte, so a data folder that scanned `bookworm` has it
indexed) plus one application layer of FILES files (default 20,000) holding MIB MiB (default 450) in all: a
node_modules tree of 400 packages with their package.json and a package-lock.json naming them, and the rest pseudo-
random data files (random.Random(SEED), incompressible, so the layer is as big compressed as not) of sizes spread
around the mean. Written as tag `big` into the OCI layout LAYOUT (a copy of the fixture layout: the base blobs are
already there). Usage: scan-big-image.py LAYOUT [FILES] [MIB] [SEED]"""
import gzip, hashlib, io, json, os, random, sys, tarfile

layout = sys.argv[1]
n_files = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
total = (int(sys.argv[3]) if len(sys.argv) > 3 else 450) * 1024 * 1024
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
blobs = os.path.join(layout, "blobs", "sha256")
index = json.load(open(os.path.join(layout, "index.json")))
base = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bookworm")
base_manifest = json.load(open(os.path.join(blobs, base["digest"].split(":")[1])))
base_config = json.load(open(os.path.join(blobs, base_manifest["config"]["digest"].split(":")[1])))

class Hashing(io.RawIOBase):
    """Counts and hashes what is written through it into a file (the compressed layer), and the tar stream inside."""
    def __init__(self, f): self.f, self.h, self.n = f, hashlib.sha256(), 0
    def writable(self): return True
    def write(self, b): self.f.write(b); self.h.update(b); self.n += len(b); return len(b)

tmp = os.path.join(blobs, "big-layer.tmp")
diff = hashlib.sha256()
class DiffTap(io.RawIOBase):
    def __init__(self, inner): self.inner = inner
    def writable(self): return True
    def write(self, b): diff.update(b); return self.inner.write(b)

def add(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name); info.size = len(data); info.mode = mode; info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))

def add_dir(tar, name):
    info = tarfile.TarInfo(name); info.type = tarfile.DIRTYPE; info.mode = 0o755; info.mtime = 1700000000
    tar.addfile(info)

with open(tmp, "wb") as raw:
    out = Hashing(raw)
    gz = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0)
    tar = tarfile.open(fileobj=DiffTap(gz), mode="w|", format=tarfile.PAX_FORMAT)
    add_dir(tar, "app"); add_dir(tar, "app/node_modules"); add_dir(tar, "app/data")
    lock = {"name": "big", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {"": {"name": "big", "version": "1.0.0"}}}
    n_packages = 400
    for i in range(n_packages):
        name, version = f"pkg-{i:03d}", f"1.{i % 7}.{i % 13}"
        add_dir(tar, f"app/node_modules/{name}")
        add(tar, f"app/node_modules/{name}/package.json", json.dumps({"name": name, "version": version, "license": "MIT"}).encode())
        lock["packages"][f"node_modules/{name}"] = {"version": version, "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"}
    add(tar, "app/package-lock.json", json.dumps(lock, indent=2).encode())
    data_files = n_files - 2 * n_packages - 1
    mean = total // data_files
    for i in range(data_files):
        if i % 500 == 0: add_dir(tar, f"app/data/{i // 500:03d}")
        size = rng.randint(mean // 2, mean * 3 // 2)
        add(tar, f"app/data/{i // 500:03d}/file-{i:05d}.bin", rng.randbytes(size))
    tar.close(); gz.close()
layer_digest = "sha256:" + out.h.hexdigest()
os.replace(tmp, os.path.join(blobs, out.h.hexdigest()))

def put(obj):
    body = json.dumps(obj, separators=(",", ":")).encode()
    d = hashlib.sha256(body).hexdigest()
    open(os.path.join(blobs, d), "wb").write(body)
    return {"digest": "sha256:" + d, "size": len(body)}

config = dict(base_config)
config["rootfs"] = {"type": "layers", "diff_ids": base_config["rootfs"]["diff_ids"] + ["sha256:" + diff.hexdigest()]}
config["history"] = list(base_config.get("history", [])) + [{"created_by": "scan-big-image.py: /app (node_modules, data)"}]
c = put(config)
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c},
            "layers": base_manifest["layers"] + [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": out.n}]}
m = put(manifest)
index["manifests"] = [x for x in index["manifests"] if x.get("annotations", {}).get("org.opencontainers.image.ref.name") != "big"]
index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **m, "annotations": {"org.opencontainers.image.ref.name": "big"}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
print(f"big: {n_files} files in the app layer ({out.n / 2**20:.0f} MiB compressed) + the bookworm layer ({base_manifest['layers'][0]['size'] / 2**20:.0f} MiB), manifest {m['digest']}")
