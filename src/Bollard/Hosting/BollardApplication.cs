using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.HttpOverrides;
using Bollard.Server.Hosting;
using Bollard.Storage;
using Bollard.Storage.FileSystem;
using Bollard.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bollard.Hosting;

/// <summary>
/// The composition root: reads configuration (defaults, YAML file, <c>BOLLARD__*</c> environment variables,
/// command-line overrides, in that order of precedence), picks the storage backends and builds the web host.
/// </summary>
public static partial class BollardApplication
{
    public const string EnvironmentPrefix = "BOLLARD__";

    public static WebApplication Build(string? configFile, IReadOnlyDictionary<string, string?> overrides, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(Defaults);
        if (configFile is not null) builder.Configuration.AddInMemoryCollection(YamlConfiguration.Load(configFile));
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        // The documented name for the first admin's password (also Auth:AdminPassword / BOLLARD__AUTH__ADMINPASSWORD).
        if (Environment.GetEnvironmentVariable("BOLLARD_ADMIN_PASSWORD") is { Length: > 0 } adminPassword)
            builder.Configuration.AddInMemoryCollection([new("Auth:AdminPassword", adminPassword)]);
        builder.Configuration.AddInMemoryCollection(overrides);

        var settings = ReadSettings(builder.Configuration);
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // blobs are unbounded; manifests are bounded by the handler
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            var endpoint = ParseEndpoint(settings.Listen);
            var certificate = LoadCertificate(settings);
            kestrel.Listen(endpoint, listen =>
            {
                if (certificate is not null) listen.UseHttps(certificate);
            });
        });
        ConfigureForwardedHeaders(builder.Services, settings);

        switch (settings.BlobType.ToLowerInvariant())
        {
            case "filesystem":
                builder.Services.AddFileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = settings.BlobPath! });
                break;
            default:
                throw new InvalidOperationException($"Storage:Blobs:Type '{settings.BlobType}' is unknown (supported: filesystem)");
        }
        switch (settings.MetadataType.ToLowerInvariant())
        {
            case "sqlite":
                builder.Services.AddSqliteMetadata(new SqliteOptions { Path = settings.MetadataPath! });
                break;
            default:
                throw new InvalidOperationException($"Storage:Metadata:Type '{settings.MetadataType}' is unknown (supported: sqlite)");
        }
        builder.Services.AddSingleton(settings);
        builder.Services.AddBollardRegistry(builder.Configuration);

        var app = builder.Build();
        // First in the pipeline, so that logging, the audit log and login throttling see the real client.
        if (settings.TrustedProxies.Count > 0) app.UseBollardForwardedHeaders();
        // Open the database now: migrations run and a bad path fails at startup, not on the first request.
        app.Services.GetRequiredService<SqliteDatabase>();
        app.MapBollardRegistry();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            string listening = string.Join(", ", addresses ?? []), dataDir = Path.GetFullPath(settings.DataDir);
            Log.Started(app.Logger, listening, dataDir, settings.MetadataType, settings.BlobType);
        });
        return app;
    }

    /// <summary>The first address the started server listens on, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public static Uri Address(this WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static readonly Dictionary<string, string?> Defaults = new()
    {
        ["Server:Listen"] = "127.0.0.1:5000",
        ["Storage:DataDir"] = "./bollard-data",
        ["Storage:Blobs:Type"] = "filesystem",
        ["Storage:Metadata:Type"] = "sqlite",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };

    private static ServeSettings ReadSettings(IConfiguration c)
    {
        string dataDir = Path.GetFullPath(c["Storage:DataDir"] ?? "./bollard-data");
        return new ServeSettings
        {
            Listen = c["Server:Listen"] ?? "127.0.0.1:5000",
            DataDir = dataDir,
            BlobType = c["Storage:Blobs:Type"] ?? "filesystem",
            BlobPath = Path.GetFullPath(c["Storage:Blobs:Path"] ?? dataDir),
            MetadataType = c["Storage:Metadata:Type"] ?? "sqlite",
            MetadataPath = Path.GetFullPath(c["Storage:Metadata:Path"] ?? Path.Combine(dataDir, "bollard.db")),
            TlsCertificate = c["Server:TlsCertificate"] is { Length: > 0 } cert ? Path.GetFullPath(cert) : null,
            TlsKey = c["Server:TlsKey"] is { Length: > 0 } key ? Path.GetFullPath(key) : null,
            TrustedProxies = ReadList(c.GetSection("Server:TrustedProxies")),
        };
    }

    /// <summary>A list setting given as a YAML sequence, or as one comma-separated string (flags, environment).</summary>
    private static List<string> ReadList(IConfigurationSection section)
    {
        var items = section.GetChildren().Select(x => x.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
        if (items.Count == 0 && section.Value is { Length: > 0 } single)
            items.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return items;
    }

    /// <summary>Both PEM files or neither: half a TLS setup is a configuration error, not plain HTTP.</summary>
    private static X509Certificate2? LoadCertificate(ServeSettings settings)
    {
        if (settings.TlsCertificate is null && settings.TlsKey is null) return null;
        if (settings.TlsCertificate is null || settings.TlsKey is null)
            throw new InvalidOperationException("TLS needs both --tls-cert and --tls-key (Server:TlsCertificate and Server:TlsKey)");
        try
        {
            return X509Certificate2.CreateFromPemFile(settings.TlsCertificate, settings.TlsKey);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot load the TLS certificate '{settings.TlsCertificate}' with key '{settings.TlsKey}': {e.Message}", e);
        }
    }

    /// <summary>
    /// X-Forwarded-For/-Proto/-Host are honoured only from the configured proxies (addresses or CIDR networks);
    /// the framework's default of trusting loopback is cleared, so nothing is trusted unless configured.
    /// </summary>
    private static void ConfigureForwardedHeaders(IServiceCollection services, ServeSettings settings)
    {
        if (settings.TrustedProxies.Count == 0) return;
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.ForwardLimit = settings.TrustedProxies.Count;
            foreach (var entry in settings.TrustedProxies)
            {
                if (entry.Contains('/') && System.Net.IPNetwork.TryParse(entry, out var network)) o.KnownIPNetworks.Add(network);
                else if (IPAddress.TryParse(entry, out var address)) o.KnownProxies.Add(address);
                else throw new InvalidOperationException($"Server:TrustedProxies entry '{entry}' is neither an IP address nor a CIDR network");
            }
        });
    }

    /// <summary>Parses <c>HOST:PORT</c>, <c>[v6]:PORT</c> or <c>:PORT</c> (all interfaces).</summary>
    public static IPEndPoint ParseEndpoint(string listen)
    {
        if (listen.StartsWith(':') && int.TryParse(listen.AsSpan(1), out int anyPort))
            return new IPEndPoint(IPAddress.Any, anyPort);
        if (IPEndPoint.TryParse(listen, out var ep) && listen.Contains(':')) return ep;
        int colon = listen.LastIndexOf(':');
        if (colon > 0 && int.TryParse(listen.AsSpan(colon + 1), out int port) && listen[..colon] == "localhost")
            return new IPEndPoint(IPAddress.Loopback, port);
        throw new FormatException($"--listen '{listen}' is not ADDRESS:PORT (e.g. 127.0.0.1:5000, 0.0.0.0:5000, [::1]:5000)");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information,
            Message = "Bollard listening on {Addresses}; data in {DataDir} (metadata: {Metadata}, blobs: {Blobs})")]
        public static partial void Started(ILogger logger, string addresses, string dataDir, string metadata, string blobs);
    }
}
