namespace Bollard.Scanning.Advisories;

/// <summary>The warnings of one import (bounded: the count is exact, the messages kept are the first <see cref="MaxWarningMessages"/>).</summary>
public sealed class AdvisoryImportContext
{
    public const int MaxWarningMessages = 200;

    private readonly List<string> _messages = [];

    public int WarningCount { get; private set; }

    public IReadOnlyList<string> Messages => _messages;

    public void Warn(string message)
    {
        WarningCount++;
        if (_messages.Count < MaxWarningMessages) _messages.Add(message);
    }
}
