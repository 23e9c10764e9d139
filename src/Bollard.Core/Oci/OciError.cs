namespace Bollard.Core.Oci;

/// <summary>One entry of the distribution-spec error code table: the code on the wire and its HTTP status.</summary>
public sealed record OciError(string Code, string Message, int HttpStatus);
