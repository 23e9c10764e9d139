using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bollard.Hosting;

/// <summary>
/// Every configuration key Bollard knows, so that a typo (<c>listn:</c>, <c>BOLLARD__SERVER__LISTN</c>) is an error
/// with a suggestion instead of a silent fall-back to the default. The host's own sections (<c>Server</c>,
/// <c>Storage</c>, <c>Logging</c>) are listed here; every options type bound from configuration
/// (<c>services.AddOptions&lt;T&gt;().Bind(configuration.GetSection(T.Section))</c>) is found in the service
/// collection, with its section from a <c>public const string Section</c> and its keys from its properties.
/// A feature that reads configuration another way must bind an options type like that to be accepted.
/// </summary>
public sealed class SettingsSchema
{
    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);
        /// <summary>Any key below is accepted (lists, dictionaries, <c>Logging</c>).</summary>
        public bool Open { get; init; }
        public string Name { get; init; } = "";
        public PropertyInfo? Property { get; init; }
    }

    private readonly Node _root = new();
    private bool _unknownSectionsAllowed;

    /// <summary>Options types bound from configuration, with their section.</summary>
    public List<(string Section, Type Type)> BoundOptions { get; } = [];

    public static SettingsSchema From(IServiceCollection services)
    {
        var schema = new SettingsSchema();
        schema.Leaf("Server:Listen");
        schema.Leaf("Server:TlsCertificate");
        schema.Leaf("Server:TlsKey");
        schema.Leaf("Server:TrustedProxies", open: true);
        schema.Leaf("Storage:DataDir");
        schema.Leaf("Storage:Blobs:Type");
        schema.Leaf("Storage:Blobs:Path");
        schema.Leaf("Storage:Metadata:Type");
        schema.Leaf("Storage:Metadata:Path");
        schema.Leaf("Storage:Metadata:BusyTimeout");
        schema.Leaf("Logging", open: true);
        var bound = services.Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IOptionsChangeTokenSource<>))
            .Select(t => t.GetGenericArguments()[0]).Distinct();
        foreach (var type in bound)
        {
            if (type.Namespace?.StartsWith("Microsoft.", StringComparison.Ordinal) == true) continue; // logging filters etc.
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() is not string section)
            {
                schema._unknownSectionsAllowed = true; // cannot tell its section: do not reject what might be its keys
                continue;
            }
            schema.BoundOptions.Add((section, type));
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                schema.Leaf($"{section}:{p.Name}", open: !IsSimple(p.PropertyType), property: p);
        }
        return schema;
    }

    /// <summary>A type the binder reads from one string (everything else may have keys below it).</summary>
    public static bool IsSimple(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
               || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Uri) || t == typeof(Guid);
    }

    private void Leaf(string key, bool open = false, PropertyInfo? property = null)
    {
        var node = _root;
        string[] parts = key.Split(':');
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            if (!node.Children.TryGetValue(parts[i], out var child))
            {
                child = new Node { Name = string.Join(':', parts[..(i + 1)]), Open = last && open, Property = last ? property : null };
                node.Children[parts[i]] = child;
            }
            node = child;
        }
    }

    /// <returns>null when <paramref name="key"/> is known, else why not (with a suggestion when one is close).</returns>
    public string? Check(string key)
    {
        var node = _root;
        string[] parts = key.Split(':');
        for (int i = 0; i < parts.Length; i++)
        {
            if (node.Open) return null;
            if (node.Children.TryGetValue(parts[i], out var child))
            {
                node = child;
                continue;
            }
            if (i == 0 && _unknownSectionsAllowed) return null;
            if (node != _root && node.Children.Count == 0)
                return $"{node.Name} takes one value, not settings below it";
            string prefix = string.Join(':', parts[..i]);
            string known = string.Join(", ", node.Children.Values.Select(c => c.Name).Order(StringComparer.Ordinal));
            string? close = node.Children.Values.Select(c => (c.Name, Distance: Distance(parts[i], c.Name.Split(':')[^1])))
                .Where(c => c.Distance <= Math.Max(2, parts[i].Length / 3)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
            string where = i == 0 ? "sections" : $"settings in {prefix}";
            return close is not null
                ? $"is not a setting; did you mean {close}? (see docs/configuration.md)"
                : $"is not a setting (known {where}: {known}; see docs/configuration.md)";
        }
        return null;
    }

    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
