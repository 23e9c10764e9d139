namespace Bollard.Core.Mirror.Upstream;

/// <summary>A connection <see cref="UpstreamAddressGuard"/> refused to make.</summary>
public sealed class UpstreamAddressRefusedException : Exception
{
    public UpstreamAddressRefusedException() : base("the address is refused") { }

    public UpstreamAddressRefusedException(string message) : base(message) { }

    public UpstreamAddressRefusedException(string message, Exception inner) : base(message, inner) { }
}
