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
/// Lists (<c>List&lt;T&gt;</c>, arrays) take items <c>KEY:0</c>, <c>KEY:1</c>... (a YAML sequence); the items of a list of
/// objects (<c>Mirror:Upstreams:0:Url</c>) are checked against the object's properties like any other setting.
/// </summary>
public sealed class SettingsSchema
{
    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);
        /// <summary>Any key below is accepted (dictionaries, nested objects, <c>Logging</c>).</summary>
        public bool Open { get; init; }
        /// <summary>The key's own segment, spelled as documented.</summary>
        public string Key { get; init; } = "";
        public PropertyInfo? Property { get; init; }
        /// <summary>For a list: what each item (<c>KEY:0</c>, <c>KEY:1</c>...) may hold; a leaf for a list of values.</summary>
        public Node? Item { get; set; }
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
        schema.Leaf("Storage:Blobs:DirectIo");
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
            foreach (var p in Settable(type))
                Describe(schema.Leaf($"{section}:{p.Name}", open: !IsSimple(p.PropertyType) && ItemType(p.PropertyType) is null, property: p), p.PropertyType);
        }
        return schema;
    }

    /// <summary>The properties the binder sets: public, instance, writable (<c>set</c> or <c>init</c>).</summary>
    public static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0);

    /// <summary>A type the binder reads from one string (everything else may have keys below it).</summary>
    public static bool IsSimple(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
               || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Uri) || t == typeof(Guid);
    }

    private static readonly Type[] ListTypes =
    [
        typeof(List<>), typeof(IList<>), typeof(IReadOnlyList<>), typeof(ICollection<>), typeof(IReadOnlyCollection<>),
        typeof(IEnumerable<>), typeof(HashSet<>), typeof(ISet<>),
    ];

    /// <summary>The item type of a list the binder fills from <c>KEY:0</c>, <c>KEY:1</c>... (arrays and list interfaces), else null.</summary>
    public static Type? ItemType(Type t)
    {
        if (t == typeof(string)) return null;
        if (t.IsArray) return t.GetArrayRank() == 1 ? t.GetElementType() : null;
        return t.IsGenericType && ListTypes.Contains(t.GetGenericTypeDefinition()) ? t.GetGenericArguments()[0] : null;
    }

    /// <summary>An item type whose settings can be listed: a class the binder creates and fills property by property.</summary>
    public static bool IsSettingsObject(Type t) =>
        t.IsClass && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null && ItemType(t) is null
        && t.Namespace?.StartsWith("System", StringComparison.Ordinal) != true;

    /// <summary>For a list, what its items hold: one value each, or the settings of an object (recursively).</summary>
    private static void Describe(Node node, Type type)
    {
        if (ItemType(type) is not { } item) return;
        if (IsSimple(item)) node.Item = new Node { Key = "N" };
        else if (IsSettingsObject(item))
        {
            node.Item = new Node { Key = "N" };
            foreach (var p in Settable(item))
            {
                var child = new Node { Key = p.Name, Property = p, Open = !IsSimple(p.PropertyType) && ItemType(p.PropertyType) is null };
                node.Item.Children[p.Name] = child;
                Describe(child, p.PropertyType);
            }
        }
        else node.Item = new Node { Key = "N", Open = true };
    }

    private Node Leaf(string key, bool open = false, PropertyInfo? property = null)
    {
        var node = _root;
        string[] parts = key.Split(':');
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            if (!node.Children.TryGetValue(parts[i], out var child))
            {
                child = new Node { Key = parts[i], Open = last && open, Property = last ? property : null };
                node.Children[parts[i]] = child;
            }
            node = child;
        }
        return node;
    }

    /// <returns>null when <paramref name="key"/> is known, else why not (with a suggestion when one is close).</returns>
    public string? Check(string key)
    {
        var node = _root;
        string[] parts = key.Split(':');
        string name = ""; // the key so far, spelled as documented: Mirror:Upstreams:0:Url
        for (int i = 0; i < parts.Length; i++)
        {
            if (node.Open) return null;
            if (node.Item is { } item)
            {
                if (!IsIndex(parts[i]))
                    return $"is not a setting: {name} is a list (a YAML sequence; {name}:0, {name}:1, ... in environment variables and flags) (see docs/configuration.md)";
                name += ":" + parts[i];
                node = item;
                continue;
            }
            if (node.Children.TryGetValue(parts[i], out var child))
            {
                name = name.Length == 0 ? child.Key : name + ":" + child.Key;
                node = child;
                continue;
            }
            if (i == 0 && _unknownSectionsAllowed) return null;
            if (node != _root && node.Children.Count == 0)
                return $"{name} takes one value, not settings below it";
            string Full(Node c) => name.Length == 0 ? c.Key : name + ":" + c.Key;
            string known = string.Join(", ", node.Children.Values.Select(Full).Order(StringComparer.Ordinal));
            string? close = node.Children.Values.Select(c => (Name: Full(c), Distance: Distance(parts[i], c.Key)))
                .Where(c => c.Distance <= Math.Max(2, parts[i].Length / 3)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
            string where = i == 0 ? "sections" : $"settings in {name}";
            return close is not null
                ? $"is not a setting; did you mean {close}? (see docs/configuration.md)"
                : $"is not a setting (known {where}: {known}; see docs/configuration.md)";
        }
        return null;
    }

    /// <summary>A list index as the binder reads it: digits (YAML sequences and <c>KEY__0</c> give 0, 1, ...).</summary>
    public static bool IsIndex(string part) => part.Length is > 0 and < 10 && part.All(char.IsAsciiDigit);

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
