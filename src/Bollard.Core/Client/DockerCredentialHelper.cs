using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Bollard.Core.Client;

/// <summary>
/// Runs a docker credential helper (docker/docker-credential-helpers protocol): <c>docker-credential-NAME get</c> on
/// PATH, the server URL on standard input, JSON <c>{"ServerURL","Username","Secret"}</c> on standard output; a helper
/// with nothing for that server exits non-zero saying <c>credentials not found in native keychain</c>. A
/// <c>&lt;token&gt;</c> user name means the secret is an identity token (an OAuth2 refresh token). Bounded: the helper
/// gets <see cref="DefaultTimeout"/> (or <c>BOLLARD_CREDENTIAL_HELPER_TIMEOUT</c> seconds) and is killed past it;
/// at most 64 KiB of its output is kept. The secret is never part of a message: a helper's own error text is quoted only when it
/// failed, and never its answer.
/// </summary>
internal static class DockerCredentialHelper
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private const string NotFound = "credentials not found in native keychain";
    private const int MaxOutputBytes = 64 * 1024;

    /// <summary>The credentials the helper holds for <paramref name="serverUrl"/>; null when it has none.</summary>
    /// <param name="where">Where the helper was configured, for messages (<c>credsStore in /home/me/.docker/config.json</c>).</param>
    /// <exception cref="RegistryClientException">The helper is missing, failed, timed out or answered something else than its JSON.</exception>
    public static RegistryCredentials? Get(string name, string serverUrl, TimeSpan timeout, string where)
    {
        // The name becomes a program name: no paths, no options (docker accepts the same characters).
        if (name.Length == 0 || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"'{name}' ({where}) is not a credential helper name");
        string program = "docker-credential-" + name;
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("get");
        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (Win32Exception e)
        {
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker credential helper {program} ({where}) cannot be run: {e.Message} (install it on PATH, or remove it from the docker config)", e);
        }
        if (process is null) throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker credential helper {program} ({where}) did not start");
        using (process)
        {
            var stdout = Task.Run(() => ReadBounded(process.StandardOutput.BaseStream));
            var stderr = Task.Run(() => ReadBounded(process.StandardError.BaseStream));
            try
            {
                process.StandardInput.Write(serverUrl);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It exited without reading its input: its exit code and output say why.
            }
            if (!process.WaitForExit(timeout))
            {
                Kill(process);
                throw new RegistryClientException(RegistryClientError.Unauthorized,
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the docker credential helper {program} ({where}) did not answer within {timeout.TotalSeconds:0.#} s for {serverUrl}"));
            }
            // Output read to its end (or its bound); a grandchild holding the pipes open does not hold us.
            if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(5))) Kill(process);
            string output = stdout.IsCompletedSuccessfully ? stdout.Result : "";
            if (process.ExitCode != 0)
            {
                string text = output.Trim().Length > 0 ? output.Trim() : stderr.IsCompletedSuccessfully ? stderr.Result.Trim() : "";
                if (text.Contains(NotFound, StringComparison.OrdinalIgnoreCase)) return null;
                string line = text.Split('\n')[0].Trim();
                if (line.Length > 200) line = line[..200] + "...";
                throw new RegistryClientException(RegistryClientError.Unauthorized,
                    $"the docker credential helper {program} ({where}) failed for {serverUrl} (exit code {process.ExitCode}){(line.Length > 0 ? ": " + line : "")}");
            }
            return Parse(output, program, where, serverUrl);
        }
    }

    private static RegistryCredentials? Parse(string output, string program, string where, string serverUrl)
    {
        string? username = null, secret = null;
        try
        {
            using var doc = JsonDocument.Parse(output);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("Username", out var u) && u.ValueKind == JsonValueKind.String) username = u.GetString();
                if (doc.RootElement.TryGetProperty("Secret", out var s) && s.ValueKind == JsonValueKind.String) secret = s.GetString();
            }
        }
        catch (JsonException)
        {
            // Not quoted: the text might hold the secret.
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker credential helper {program} ({where}) answered for {serverUrl} with something that is not its JSON");
        }
        if (string.IsNullOrEmpty(secret))
        {
            if (string.IsNullOrEmpty(username)) return null;
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker credential helper {program} ({where}) answered for {serverUrl} without a Secret");
        }
        if (username == RegistryCredentials.IdentityTokenUsername) return RegistryCredentials.FromIdentityToken(secret);
        if (string.IsNullOrEmpty(username))
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker credential helper {program} ({where}) answered for {serverUrl} without a Username");
        return new RegistryCredentials(username, secret);
    }

    private static string ReadBounded(Stream stream)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            // Past the bound the rest is drained (so the helper is not blocked on a full pipe) and dropped.
            if (buffer.Length < MaxOutputBytes) buffer.Write(chunk, 0, (int)Math.Min(n, MaxOutputBytes - buffer.Length));
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}
