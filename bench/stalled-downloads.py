#!/usr/bin/env python3
"""Memory held by stalled blob downloads (issue 6 B15).

Starts one Bollard (`dotnet DIR/bollard.dll serve`, access control off, fresh data folder), pushes one blob, then
opens N connections that each GET the whole blob and never read the response (a tiny receive buffer, so the
kernel does not absorb it), and reports the server's RSS before, while the N downloads are stalled, and after they
are closed. What it measures is memory per stalled download, not speed, so a busy machine changes little.

    python3 bench/stalled-downloads.py --bollard-dir src/Bollard/bin/Release/net10.0 --readers 600

Measured 2026-12-01 on the shared 2-core machine (load average ~25), 600 readers, 32 MiB blob, plain
`dotnet build` output of each commit:

    before (051afe0, 1 MiB reads into the pipe): idle 96.2 MiB, stalled 1128.6 MiB, after close 1133.1 MiB
                                                 = 1762 KiB per stalled download, none given back
    after  (BlobResponse, 64 KiB reads):         idle 94.0 MiB, stalled 194.9 MiB, after close 197.2 MiB
                                                 = 172 KiB per stalled download (about 10x less)
"""
import argparse, hashlib, json, os, socket, subprocess, sys, tempfile, time, urllib.request


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def settle(pid, seconds):
    """RSS once it stops growing (three samples 1 s apart within 1 MiB), or after `seconds`."""
    last, stable, deadline = rss_mib(pid), 0, time.time() + seconds
    while time.time() < deadline and stable < 3:
        time.sleep(1)
        now = rss_mib(pid)
        stable = stable + 1 if abs(now - last) < 1 else 0
        last = now
    return last


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bollard-dir", required=True, help="folder with bollard.dll")
    ap.add_argument("--readers", type=int, default=600)
    ap.add_argument("--blob-mib", type=int, default=32)
    ap.add_argument("--label", default="")
    a = ap.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bollard-stalled-")
    port = free_port()
    env = dict(os.environ, BOLLARD__Auth__Enabled="false", BOLLARD__Logging__LogLevel__Default="Warning")
    server = subprocess.Popen(["dotnet", os.path.join(a.bollard_dir, "bollard.dll"), "serve", "--listen", f"127.0.0.1:{port}", "--data", data_dir],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/v2/", timeout=1).read()
                break
            except Exception:
                time.sleep(0.1)
        blob = os.urandom(a.blob_mib * 1024 * 1024)
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        req = urllib.request.Request(f"{base}/v2/bench/stalled/blobs/uploads/?digest={digest}", data=blob, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
        assert urllib.request.urlopen(req).status == 201
        path = f"/v2/bench/stalled/blobs/{digest}"
        assert len(urllib.request.urlopen(base + path).read()) == len(blob)  # warm the read path once
        idle = settle(server.pid, 10)

        socks = []
        for _ in range(a.readers):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            socks.append(s)
        stalled = settle(server.pid, 60)
        for s in socks:
            s.close()
        after = settle(server.pid, 30)
        print(json.dumps({
            "label": a.label, "readers": a.readers, "blob_mib": a.blob_mib,
            "rss_idle_mib": round(idle, 1), "rss_stalled_mib": round(stalled, 1), "rss_after_close_mib": round(after, 1),
            "kib_per_stalled_download": round((stalled - idle) * 1024 / a.readers, 1),
        }))
    finally:
        server.terminate()
        server.wait(10)
        subprocess.run(["rm", "-rf", data_dir])


if __name__ == "__main__":
    sys.exit(main())
