using System.Net;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Interop;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// Small real images for the scan pipeline tests, built offline with umoci (each file its own layer, as umoci
/// insert makes them) and pushed with skopeo: a Debian root with the dpkg status of a real bookworm minbase
/// (<c>/work/shared/vulndata/debian/bookworm-minbase-status</c>, made with debootstrap) and its os-release, plus
/// optional extra files (an npm lock file, ...).
/// </summary>
internal static class ScanImages
{
    public static string VulnData => Environment.GetEnvironmentVariable("BOLLARD_VULNDATA") is { Length: > 0 } v ? v : "/work/shared/vulndata";

    public const string BookwormOsRelease =
        """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        VERSION_CODENAME=bookworm
        ID=debian
        HOME_URL="https://www.debian.org/"

        """;

    /// <summary>Builds a Debian image in a fresh layout under <paramref name="work"/> and pushes it; returns the manifest digest.</summary>
    public static async Task<string> PushDebianAsync(string work, string registryHost, string repository, string tag, string? creds,
        string? statusFile = null, params (string PathInImage, string Content)[] extra)
    {
        ExternalTool.Require("umoci");
        ExternalTool.Require("skopeo");
        string layoutDir = Path.Combine(work, "layout-" + Guid.NewGuid().ToString("N")[..8]);
        await OciLayout.InitAsync(layoutDir);
        string image = $"{layoutDir}:{tag}";
        await ExternalTool.RunCheckedAsync("umoci", ["new", "--image", image]);
        await ExternalTool.RunCheckedAsync("umoci", ["config", "--image", image, "--os", "linux", "--architecture", "amd64", "--config.cmd", "/bin/sh"]);
        string staging = Directory.CreateTempSubdirectory("bollard-scan-img-").FullName;
        try
        {
            string osRelease = Path.Combine(staging, "os-release");
            await File.WriteAllTextAsync(osRelease, BookwormOsRelease);
            await ExternalTool.RunCheckedAsync("umoci", ["insert", "--rootless", "--image", image, osRelease, "/etc/os-release"]);
            await ExternalTool.RunCheckedAsync("umoci", ["insert", "--rootless", "--image", image,
                statusFile ?? Path.Combine(VulnData, "debian", "bookworm-minbase-status"), "/var/lib/dpkg/status"]);
            int n = 0;
            foreach (var (pathInImage, content) in extra)
            {
                string file = Path.Combine(staging, $"extra{n++}");
                await File.WriteAllTextAsync(file, content);
                await ExternalTool.RunCheckedAsync("umoci", ["insert", "--rootless", "--image", image, file, pathInImage]);
            }
        }
        finally
        {
            TempDir.Delete(staging);
        }
        string digestFile = Path.Combine(work, "digest-" + Guid.NewGuid().ToString("N")[..8]);
        var args = new List<string> { "--insecure-policy", "copy", "--dest-tls-verify=false", "--digestfile", digestFile };
        if (creds is not null) args.AddRange(["--dest-creds", creds]);
        args.Add($"oci:{layoutDir}:{tag}");
        args.Add($"docker://{registryHost}/{repository}:{tag}");
        await ExternalTool.RunCheckedAsync("skopeo", args, environment: new Dictionary<string, string> { ["XDG_DATA_HOME"] = Path.Combine(work, "xdg") },
            timeout: TimeSpan.FromMinutes(3));
        return (await File.ReadAllTextAsync(digestFile)).Trim();
    }

    /// <summary>GETs the scan state until <paramref name="until"/> holds (the scan runs on the job runner; no fixed sleep: it polls).</summary>
    public static async Task<JsonNode> WaitForStateAsync(HttpClient api, string repository, string digest, Func<string, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"/api/v1/repositories/{repository}/manifests/{digest}/scan");
            last = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "scan state");
            if (until(last["state"]!.GetValue<string>())) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"scan state of {repository}@{digest} never reached the expected state; last: {last?.ToJsonString()}");
    }
}
