namespace Bollard.Trust.Admission;

/// <summary>One container of a pod spec: its list, name, image as written, and the JSON pointer of its <c>image</c> field.</summary>
public sealed record ContainerImage(string List, string Name, string? Image, string ImagePath)
{
    public override string ToString() => $"{List}[{Name}]";
}
