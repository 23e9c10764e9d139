namespace Bollard.Scanning.Layers;

/// <summary>
/// The image's final filesystem, built in memory from the layer indexes bottom-up with OCI whiteout semantics
/// (image-spec layer.md: <c>.wh.NAME</c> deletes NAME and everything under it from the lower layers,
/// <c>.wh..wh..opq</c> hides a directory's lower content; a whiteout applies to lower layers only, so a layer's own
/// entries next to it stay). A non-directory over a directory, or a directory over a file, replaces it (overlayfs).
/// Removals are reported to <see cref="Removed"/> (path, node, removing layer, deleted-or-overwritten) for the wasted-bytes
/// count and the package tracker. Symlinks are resolved inside the view only (<see cref="Resolve"/>).
/// </summary>
internal sealed class MergedView
{
    /// <summary>Symlinks followed in one resolution before it is called a loop (Linux MAXSYMLINKS is 40).</summary>
    public const int MaxSymlinkHops = 40;

    private readonly Node root = new(EntryKind.Directory, 0, -1, null);

    public event Action<string, Node, int, bool>? Removed;

    internal sealed class Node(EntryKind kind, long size, int layer, string? link)
    {
        public EntryKind Kind { get; set; } = kind;

        public long Size { get; set; } = size;

        public int Layer { get; set; } = layer;

        public string? Link { get; set; } = link;

        public Dictionary<string, Node>? Children { get; set; }
    }

    /// <summary>Deletes <paramref name="path"/> and what is under it (a whiteout of <paramref name="layer"/>).</summary>
    public void Delete(string path, int layer)
    {
        var (parent, name) = FindParent(path);
        if (parent?.Children is { } children && children.Remove(name, out var node))
        {
            Report(path, node, layer, deleted: true);
        }
    }

    /// <summary>Hides the lower content of a directory (an opaque whiteout of <paramref name="layer"/>).</summary>
    public void Clear(string path, int layer)
    {
        if (Find(path) is { Kind: EntryKind.Directory, Children: { } children } dir)
        {
            foreach (var (name, child) in children)
            {
                Report(LayerPath.Combine(path, name), child, layer, deleted: true);
            }

            dir.Children = null;
        }
    }

    public void Put(LayerEntry entry, int layer)
    {
        if (entry.Path == "/")
        {
            return;
        }

        var dir = root;
        string dirPath = "/";
        string parentPath = LayerPath.Parent(entry.Path);
        if (parentPath != "/")
        {
            foreach (var part in parentPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                dir.Children ??= new(StringComparer.Ordinal);
                string childPath = LayerPath.Combine(dirPath, part);
                if (!dir.Children.TryGetValue(part, out var child) || child.Kind != EntryKind.Directory)
                {
                    if (child is not null)
                    {
                        Report(childPath, child, layer, deleted: false);
                    }

                    child = new Node(EntryKind.Directory, 0, layer, null);
                    dir.Children[part] = child;
                }

                dir = child;
                dirPath = childPath;
            }
        }

        dir.Children ??= new(StringComparer.Ordinal);
        string name = LayerPath.Name(entry.Path);
        if (dir.Children.TryGetValue(name, out var old))
        {
            if (old.Kind == EntryKind.Directory && entry.Kind == EntryKind.Directory)
            {
                return; // same directory again (new mode or times): its content stays
            }

            Report(entry.Path, old, layer, deleted: false);
        }

        dir.Children[name] = new Node(entry.Kind, entry.Size, layer, entry.Link);
    }

    public Node? Find(string path)
    {
        var node = root;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node.Children is null || !node.Children.TryGetValue(part, out node))
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>
    /// Follows symlinks (in every component, and the last) within the view: an absolute target starts again at the
    /// image root, <c>..</c> at the root stays at the root, so nothing resolves outside the image.
    /// </summary>
    /// <returns>The resolved path and node, or null when it does not exist or loops (more than <see cref="MaxSymlinkHops"/> links).</returns>
    public (string Path, Node Node)? Resolve(string path)
    {
        var pending = new Stack<string>();
        PushComponents(pending, path);
        var stack = new List<(string Name, Node Node)>();
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            var dir = stack.Count == 0 ? root : stack[^1].Node;
            if (dir.Kind != EntryKind.Directory || dir.Children is null || !dir.Children.TryGetValue(part, out var node))
            {
                return null;
            }

            if (node.Kind == EntryKind.Symlink && node.Link is { Length: > 0 } link)
            {
                if (++hops > MaxSymlinkHops)
                {
                    return null;
                }

                if (link.StartsWith('/'))
                {
                    stack.Clear();
                }

                PushComponents(pending, link);
                continue;
            }

            stack.Add((part, node));
        }

        return stack.Count == 0 ? ("/", root) : ("/" + string.Join('/', stack.Select(s => s.Name)), stack[^1].Node);
    }

    /// <summary>Every regular file of the view with its path.</summary>
    public IEnumerable<(string Path, Node Node)> Files() => Walk("/", root).Where(f => f.Node.Kind == EntryKind.File);

    private static IEnumerable<(string Path, Node Node)> Walk(string path, Node node)
    {
        var stack = new Stack<(string, Node)>();
        stack.Push((path, node));
        while (stack.Count > 0)
        {
            var (p, n) = stack.Pop();
            yield return (p, n);
            if (n.Children is not null)
            {
                foreach (var (name, child) in n.Children)
                {
                    stack.Push((LayerPath.Combine(p, name), child));
                }
            }
        }
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }

    private (Node? Parent, string Name) FindParent(string path) => (Find(LayerPath.Parent(path)), LayerPath.Name(path));

    private void Report(string path, Node node, int layer, bool deleted)
    {
        if (Removed is null)
        {
            return;
        }

        foreach (var (p, n) in Walk(path, node))
        {
            Removed(p, n, layer, deleted);
        }
    }
}
