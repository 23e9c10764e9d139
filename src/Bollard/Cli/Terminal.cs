using System.Text;

namespace Bollard.Cli;

/// <summary>Reading secrets: from standard input (<c>--password-stdin</c>) or by prompting on the terminal without echo.</summary>
internal static class Terminal
{
    /// <summary>
    /// The secrets a command needs, in order: with <paramref name="fromStdin"/> one line of standard input each,
    /// else prompted (a new password twice). <paramref name="prompts"/> are the prompt labels.
    /// </summary>
    public static IReadOnlyList<string> ReadSecrets(bool fromStdin, bool confirmLast, params string[] prompts)
    {
        var values = new List<string>();
        if (fromStdin)
        {
            foreach (string prompt in prompts)
            {
                string? line = Console.In.ReadLine();
                if (string.IsNullOrEmpty(line))
                    throw CliException.Usage(prompts.Length == 1
                        ? "--password-stdin: no password on standard input"
                        : $"--password-stdin: expected {prompts.Length} lines on standard input ({string.Join(", ", prompts.Select(p => p.TrimEnd(':', ' ').ToLowerInvariant()))}), got {values.Count}");
                values.Add(line.TrimEnd('\r'));
            }
            return values;
        }
        if (Console.IsInputRedirected)
            throw CliException.Usage("standard input is not a terminal: give the password with --password-stdin");
        foreach (string prompt in prompts) values.Add(ReadHidden(prompt));
        if (confirmLast && ReadHidden("Repeat " + prompts[^1][..1].ToLowerInvariant() + prompts[^1][1..]) != values[^1])
            throw CliException.Usage("the passwords do not match");
        return values;
    }

    public static string ReadLine(string prompt)
    {
        if (Console.IsInputRedirected) throw CliException.Usage($"standard input is not a terminal: cannot ask for {prompt.TrimEnd(':', ' ').ToLowerInvariant()}");
        Console.Error.Write(prompt);
        return Console.ReadLine()?.Trim() ?? throw CliException.Usage("no answer");
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        if (text.Length == 0) throw CliException.Usage("no password given");
        return text.ToString();
    }
}
