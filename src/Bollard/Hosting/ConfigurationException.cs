namespace Bollard.Hosting;

/// <summary>
/// A setting that cannot work (a bad value, an unknown key, a folder that cannot be written, a port in use). The
/// message is one line for people: it names the setting, where its value came from, the value and what is allowed.
/// <c>bollard serve</c> prints it and exits with code 2, before it has created anything.
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message) : base(message) { }

    public ConfigurationException(string message, Exception inner) : base(message, inner) { }

    public ConfigurationException() { }
}
