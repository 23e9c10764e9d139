using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The in-process server's log for a test: kept in memory (the last <see cref="Capacity"/> lines, see
/// <see cref="BollardServer.RecentLog"/>) and written to the test's <see cref="ITestOutputHelper"/> when one is
/// given, which <c>dotnet test</c> prints with a failing test. BOLLARD_TEST_LOG=1 also copies it to the console.
/// </summary>
public sealed class TestLog(ITestOutputHelper? output) : ILoggerProvider
{
    public const int Capacity = 2000;
    private readonly Queue<string> _lines = new();

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > Capacity) _lines.Dequeue();
        }
        try
        {
            output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late line of a background service stays in the buffer only.
        }
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4].ToLowerInvariant()} {category}: {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            log.Add(line);
        }
    }
}
