using System.Net;
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
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Hosting;

/// <summary>
/// The composition root: reads configuration (defaults, YAML file, <c>BOLLARD__*</c> environment variables,
/// command-line overrides, in that order of precedence), picks the storage backends and builds the web host.
/// </summary>
public static partial class BollardApplication
{
    public const string EnvironmentPrefix = ConfigurationLayers.EnvironmentPrefix;

    public static WebApplication Build(string? configFile, IReadOnlyDictionary<string, string?> overrides, Action<ILoggingBuilder>? logging = null) =>
        Build(configFile, overrides, logging, fromCommandLine: false, configureServices: null);

    /// <param name="fromCommandLine">The overrides are <c>bollard serve</c> flags (errors then name the flag).</param>
    /// <param name="configureServices">Runs last on the service collection (tests replace <see cref="TimeProvider"/> here).</param>
    public static WebApplication Build(string? configFile, IReadOnlyDictionary<string, string?> overrides, Action<ILoggingBuilder>? logging,
        bool fromCommandLine, Action<IServiceCollection>? configureServices)
    {
        // 1. Read every layer (a YAML syntax error stops here, with its line and column).
        var layers = ConfigurationLayers.Read(Defaults, configFile, overrides, fromCommandLine);
        // The content root is the application's folder, never the working directory, and nothing watches it: started
        // from / or a big home folder, the default host put an inotify watch on every folder below (D1 in bench/README.md).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Services.AddBollardRegistry(builder.Configuration);
        builder.Services.AddBollardUsage(builder.Configuration);
        builder.Services.AddBollardImmutability(builder.Configuration);
        builder.Services.AddBollardWebhooks(builder.Configuration);
        builder.Services.AddBollardRetention(builder.Configuration);
        builder.Services.AddBollardScanning(builder.Configuration);
        builder.Services.AddBollardAdvisoryApi(builder.Configuration);
        builder.Services.AddBollardSigning(builder.Configuration);
        builder.Services.AddBollardAdmission(builder.Configuration);

        // 2. Check every setting before anything is created: no folder, no database, no admin account.
        var (settings, certificate) = ConfigurationValidator.Validate(layers, SettingsSchema.From(builder.Services));
        layers.AddTo(builder.Configuration);
        var endpoint = ParseEndpoint(settings.Listen);
        DataDirectory.CheckPortFree(endpoint, layers, settings.Listen);
        // 3. Create the data folder (0700) and the database file (0600); warn about existing ones others can read.
        var warnings = DataDirectory.Prepare(settings, layers);

        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // A background part that fails (a locked database, a full disk) reports to BackgroundHealth and retries; it
        // never stops the host. Each loop catches its own failures; this is the safety net.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);

        // Receive into a buffer straight away instead of first waiting for data with a zero-byte read: that
        // peek doubled the receive calls of a push (bench/README.md, "push"); the cost is one 4 KiB block held
        // per idle connection.
        builder.WebHost.UseSockets(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // blobs are unbounded; manifests are bounded by the handler
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            kestrel.Listen(endpoint, listen =>
            {
                if (certificate is null) return;
                // Plain HTTP sent to the HTTPS port gets a readable 400 instead of a closed connection.
                listen.Use(next => new PlainHttpOnTlsDetector(next).OnConnectionAsync);
                listen.UseHttps(certificate);
            });
        });
        ConfigureForwardedHeaders(builder.Services, settings);

        string? directText = builder.Configuration["Storage:Blobs:DirectIo"];
        bool directIo = false;
        if (!string.IsNullOrEmpty(directText) && !bool.TryParse(directText, out directIo))
            throw new ConfigurationException($"Storage:Blobs:DirectIo '{directText}' is not true or false");
        builder.Services.AddFileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = settings.BlobPath!, DirectIo = directIo });
        string? busyText = builder.Configuration["Storage:Metadata:BusyTimeout"];
        var busy = TimeSpan.FromSeconds(30);
        if (!string.IsNullOrEmpty(busyText) && (!ConfigDuration.TryParse(busyText, out busy) || busy <= TimeSpan.Zero))
            throw new ConfigurationException($"Storage:Metadata:BusyTimeout '{busyText}' is not {ConfigDuration.Allowed}");
        builder.Services.AddSqliteMetadata(new SqliteOptions { Path = settings.MetadataPath!, BusyTimeout = busy });
        builder.Services.AddSingleton(settings);
        configureServices?.Invoke(builder.Services);
        // Hosted services start once Kestrel listens, not before it (D1 in bench/README.md); requests with credentials
        // and /readyz wait for them.
        builder.Services.DeferHostedServicesUntilListening();

        var app = builder.Build();
        foreach (string warning in warnings) Log.Exposed(app.Logger, warning);
        // First in the pipeline, so that logging, the audit log and login throttling see the real client.
        if (settings.TrustedProxies.Count > 0) app.UseBollardForwardedHeaders();
        app.UseBollardStartupGate();
        // Open the database now: migrations run and a bad path fails at startup, not on the first request.
        app.Services.GetRequiredService<SqliteDatabase>();
        app.MapBollardRegistry();
        app.MapBollardAdmission();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            string listening = string.Join(", ", addresses ?? []), dataDir = Path.GetFullPath(settings.DataDir);
            Log.Started(app.Logger, listening, dataDir, settings.MetadataType, settings.BlobType);
            if (addresses?.FirstOrDefault() is { } first && Uri.TryCreate(first, UriKind.Absolute, out var url))
            {
                string hostPort = url.Authority, server = $"{url.Scheme}://{hostPort}";
                string skopeo = url.Scheme == "https" ? $"skopeo login -u admin {hostPort}" : $"skopeo login --tls-verify=false -u admin {hostPort}";
                Log.HowToLogIn(app.Logger, server, skopeo);
            }
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
                else throw new ConfigurationException($"Server:TrustedProxies entry '{entry}' is neither an IP address nor a CIDR network");
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
        throw new FormatException($"'{listen}' is not ADDRESS:PORT (e.g. 127.0.0.1:5000, 0.0.0.0:5000, [::1]:5000)");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information,
            Message = "Bollard listening on {Addresses}; data in {DataDir} (metadata: {Metadata}, blobs: {Blobs})")]
        public static partial void Started(ILogger logger, string addresses, string dataDir, string metadata, string blobs);

        [LoggerMessage(EventId = 11, Level = LogLevel.Information,
            Message = "Log in with: bollard login {Server} -u admin   (or: {Skopeo})")]
        public static partial void HowToLogIn(ILogger logger, string server, string skopeo);

        [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Warning}")]
        public static partial void Exposed(ILogger logger, string warning);
    }
}
