using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Core.Auth;
using Microsoft.Extensions.Configuration;

namespace Bollard.Hosting;

/// <summary>
/// Checks every setting before <c>bollard serve</c> creates anything (no folder, no database, no admin account):
/// unknown keys, values of the wrong type, out-of-range values, the listen address, TLS files, trusted proxies,
/// storage types and the admin password. Every problem is one line that names the setting, where the value came
/// from, the value (never a secret) and what is allowed.
/// </summary>
public static class ConfigurationValidator
{
    public static readonly string[] BlobTypes = ["filesystem"];
    public static readonly string[] MetadataTypes = ["sqlite"];

    public sealed record Result(ServeSettings Settings, X509Certificate2? Certificate);

    public static Result Validate(ConfigurationLayers layers, SettingsSchema schema)
    {
        var errors = new List<string>();
        foreach (var (key, origin) in layers.UserKeys())
            if (schema.Check(key) is { } problem) errors.Add($"{origin} {problem}");
        Throw(errors);

        var normalized = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var config = Build(layers);
        foreach (var (section, type) in schema.BoundOptions)
            CheckValues(config, layers, section, type, normalized, errors);
        Throw(errors);
        layers.AddNormalized(normalized);
        config = Build(layers);
        foreach (var (section, type) in schema.BoundOptions)
            CheckAttributes(config, layers, section, type, errors);

        var settings = ReadSettings(config);
        string Subject(string key) => layers.Origin(key);
        try
        {
            BollardApplication.ParseEndpoint(settings.Listen);
        }
        catch (FormatException)
        {
            errors.Add($"{Subject("Server:Listen")} '{settings.Listen}' is not ADDRESS:PORT (e.g. 127.0.0.1:5000, 0.0.0.0:5000, [::1]:5000, :5000)");
        }
        if (!BlobTypes.Contains(settings.BlobType, StringComparer.OrdinalIgnoreCase))
            errors.Add($"{Subject("Storage:Blobs:Type")} '{settings.BlobType}' is unknown (supported: {string.Join(", ", BlobTypes)})");
        if (!MetadataTypes.Contains(settings.MetadataType, StringComparer.OrdinalIgnoreCase))
            errors.Add($"{Subject("Storage:Metadata:Type")} '{settings.MetadataType}' is unknown (supported: {string.Join(", ", MetadataTypes)})");
        foreach (var (entry, i) in settings.TrustedProxies.Select((e, i) => (e, i)))
        {
            bool ok = entry.Contains('/', StringComparison.Ordinal) ? System.Net.IPNetwork.TryParse(entry, out _) : IPAddress.TryParse(entry, out _);
            if (!ok)
            {
                string key = config.GetSection("Server:TrustedProxies").GetChildren().Any() ? $"Server:TrustedProxies:{i.ToString(CultureInfo.InvariantCulture)}" : "Server:TrustedProxies";
                errors.Add($"{Subject(key)} entry '{entry}' is neither an IP address (10.0.0.5) nor a CIDR network (10.0.0.0/8)");
            }
        }
        if (bool.TryParse(config["Auth:Enabled"] ?? "true", out bool authOn) && authOn && config["Auth:AdminPassword"] is { Length: > 0 } password
            && password.Length is < IdentityService.MinPasswordLength or > 1024)
            errors.Add($"{Subject("Auth:AdminPassword")} is {password.Length} characters long; the admin password must be {IdentityService.MinPasswordLength} to 1024 characters");
        var certificate = LoadCertificate(settings, layers, errors);
        Throw(errors);
        return new Result(settings, certificate);
    }

    private static IConfigurationRoot Build(ConfigurationLayers layers)
    {
        var builder = new ConfigurationBuilder();
        layers.AddTo(builder);
        return builder.Build();
    }

    private static void Throw(List<string> errors)
    {
        if (errors.Count > 0) throw new ConfigurationException(string.Join(Environment.NewLine + "bollard: ", errors));
    }

    public static ServeSettings ReadSettings(IConfiguration c)
    {
        string dataDir = Path.GetFullPath(c["Storage:DataDir"] is { Length: > 0 } d ? d : "./bollard-data");
        return new ServeSettings
        {
            Listen = c["Server:Listen"] ?? "127.0.0.1:5000",
            DataDir = dataDir,
            BlobType = c["Storage:Blobs:Type"] ?? "filesystem",
            BlobPath = Path.GetFullPath(c["Storage:Blobs:Path"] is { Length: > 0 } b ? b : dataDir),
            MetadataType = c["Storage:Metadata:Type"] ?? "sqlite",
            MetadataPath = Path.GetFullPath(c["Storage:Metadata:Path"] is { Length: > 0 } m ? m : Path.Combine(dataDir, "bollard.db")),
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

    private static bool IsSecret(string name) =>
        name.Contains("Password", StringComparison.OrdinalIgnoreCase) || name.Contains("Secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("Key", StringComparison.OrdinalIgnoreCase);

    private static string Shown(string name, string? value) => IsSecret(name) ? "(hidden)" : $"'{value}'";

    /// <summary>
    /// Each simple value converts to its property's type; durations are normalised for the binder. Lists are walked item
    /// by item (<c>Mirror:Upstreams:0:TagTtl</c>), and a list of values given as one comma-separated string (an
    /// environment variable, a flag) becomes its items.
    /// </summary>
    private static void CheckValues(IConfiguration config, ConfigurationLayers layers, string prefix, Type type,
        Dictionary<string, string?> normalized, List<string> errors)
    {
        foreach (var p in SettingsSchema.Settable(type))
        {
            string key = $"{prefix}:{p.Name}";
            if (SettingsSchema.IsSimple(p.PropertyType))
            {
                if (config[key] is { } value) CheckValue(layers, key, p.Name, p.PropertyType, value, normalized, errors);
                continue;
            }
            if (SettingsSchema.ItemType(p.PropertyType) is not { } itemType) continue;
            var section = config.GetSection(key);
            var items = section.GetChildren().Where(c => SettingsSchema.IsIndex(c.Key)).ToList();
            if (SettingsSchema.IsSimple(itemType))
            {
                if (items.Count == 0 && section.Value is { Length: > 0 } single)
                {
                    string[] values = single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    for (int i = 0; i < values.Length; i++)
                    {
                        string itemKey = $"{key}:{i.ToString(CultureInfo.InvariantCulture)}";
                        normalized[itemKey] = values[i];
                        CheckValue(layers, key, p.Name, itemType, values[i], normalized, errors, itemKey);
                    }
                }
                else
                    foreach (var item in items)
                        if (item.Value is { } value) CheckValue(layers, $"{key}:{item.Key}", p.Name, itemType, value, normalized, errors);
            }
            else if (SettingsSchema.IsSettingsObject(itemType))
            {
                if (items.Count == 0 && section.Value is { Length: > 0 } scalar)
                    errors.Add($"{layers.Origin(key)} {Shown(p.Name, scalar)} is not a list of settings: give {key} as a YAML sequence of mappings (see docs/configuration.md)");
                foreach (var item in items) CheckValues(config, layers, $"{key}:{item.Key}", itemType, normalized, errors);
            }
        }
    }

    /// <param name="key">Where the value is (and its origin).</param>
    /// <param name="normalizedKey">Where a normalised duration goes, when not <paramref name="key"/> (an item of a split list).</param>
    private static void CheckValue(ConfigurationLayers layers, string key, string name, Type propertyType, string value,
        Dictionary<string, string?> normalized, List<string> errors, string? normalizedKey = null)
    {
        var t = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        if (value.Length == 0 && (t == typeof(string) || Nullable.GetUnderlyingType(propertyType) is not null)) return;
        string origin = layers.Origin(key);
        if (t == typeof(TimeSpan))
        {
            if (ConfigDuration.TryParse(value, out var span)) normalized[normalizedKey ?? key] = span.ToString("c", CultureInfo.InvariantCulture);
            else errors.Add($"{origin} {Shown(name, value)} is not {ConfigDuration.Allowed}");
            return;
        }
        if (t == typeof(string)) return;
        bool ok;
        try
        {
            ok = TypeDescriptor.GetConverter(t).ConvertFromInvariantString(value) is not null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
            ok = false;
        }
        if (ok) return;
        string allowed = t == typeof(bool) ? "true or false"
            : t.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(t))
            : t == typeof(int) || t == typeof(long) ? "a whole number"
            : t == typeof(Uri) ? "a URL"
            : "a " + t.Name;
        errors.Add($"{origin} {Shown(name, value)} is not {allowed}");
    }

    /// <summary>The options type's validation attributes, reported as key, origin, value and the allowed range.</summary>
    private static void CheckAttributes(IConfiguration config, ConfigurationLayers layers, string section, Type type, List<string> errors)
    {
        object? options;
        try
        {
            options = config.GetSection(section).Get(type) ?? Activator.CreateInstance(type);
        }
        catch (InvalidOperationException e)
        {
            errors.Add($"{section}: {e.Message}");
            return;
        }
        if (options is null) return;
        CheckAttributes(config, layers, section, options, errors);
        if (options is IValidatableObject validatable)
            foreach (var r in validatable.Validate(new ValidationContext(options)))
            {
                // A result that names its member (Upstreams:1:Url) is reported like every other setting: key and origin.
                if (r.MemberNames.FirstOrDefault() is { Length: > 0 } member)
                    errors.Add($"{layers.Origin($"{section}:{member}")} {r.ErrorMessage}");
                else errors.Add($"{section}: {r.ErrorMessage}");
            }
    }

    private static void CheckAttributes(IConfiguration config, ConfigurationLayers layers, string prefix, object options, List<string> errors)
    {
        foreach (var p in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
        {
            object? value = p.GetValue(options);
            string key = $"{prefix}:{p.Name}";
            foreach (var attribute in p.GetCustomAttributes<ValidationAttribute>())
            {
                if (attribute.IsValid(value)) continue;
                string shown = Shown(p.Name, config[key] ?? Describe(value));
                string rule = attribute switch
                {
                    RangeAttribute r => $"must be between {Bound(r.Minimum, r.OperandType)} and {Bound(r.Maximum, r.OperandType)}",
                    RequiredAttribute => "must be given",
                    _ => attribute.FormatErrorMessage(key),
                };
                errors.Add($"{layers.Origin(key)} {shown} {rule}");
            }
            // The items of a list of objects, in the binder's order (the configuration's children, by index).
            if (SettingsSchema.ItemType(p.PropertyType) is { } itemType && SettingsSchema.IsSettingsObject(itemType) && value is System.Collections.IEnumerable list)
            {
                var keys = config.GetSection(key).GetChildren().Where(c => SettingsSchema.IsIndex(c.Key)).Select(c => c.Key).ToList();
                int i = 0;
                foreach (var item in list)
                {
                    if (item is not null) CheckAttributes(config, layers, $"{key}:{(i < keys.Count ? keys[i] : i.ToString(CultureInfo.InvariantCulture))}", item, errors);
                    i++;
                }
            }
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "",
        TimeSpan t => ConfigDuration.Format(t),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Bound(object bound, Type operand) =>
        operand == typeof(TimeSpan) && bound is string s && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t)
            ? ConfigDuration.Format(t)
            : Describe(bound);

    /// <summary>Both PEM files or neither: half a TLS setup is a configuration error, not plain HTTP.</summary>
    private static X509Certificate2? LoadCertificate(ServeSettings settings, ConfigurationLayers layers, List<string> errors)
    {
        if (settings.TlsCertificate is null && settings.TlsKey is null) return null;
        if (settings.TlsCertificate is null || settings.TlsKey is null)
        {
            errors.Add("TLS needs both --tls-cert and --tls-key (Server:TlsCertificate and Server:TlsKey)");
            return null;
        }
        try
        {
            return X509Certificate2.CreateFromPemFile(settings.TlsCertificate, settings.TlsKey);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            errors.Add($"{layers.Origin("Server:TlsCertificate")} '{settings.TlsCertificate}' with {layers.Origin("Server:TlsKey")} '{settings.TlsKey}' cannot be loaded: {e.Message}");
            return null;
        }
    }
}
