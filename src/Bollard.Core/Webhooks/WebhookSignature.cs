using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bollard.Core.Webhooks;

/// <summary>
/// How each request is signed (docs/webhooks.md has a receiver's side): <c>Bollard-Webhook-Signature: v1=HEX</c>, HEX the
/// lower-case HMAC-SHA256, keyed with the webhook's secret (its UTF-8 bytes), of <c>TIMESTAMP + "." + BODY</c>, TIMESTAMP
/// being the <c>Bollard-Webhook-Timestamp</c> header (Unix seconds of the attempt). A receiver recomputes it over the
/// exact bytes it received, compares in constant time, and refuses a timestamp too far from its clock (replay).
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "Bollard-Webhook-Id";
    public const string TimestampHeader = "Bollard-Webhook-Timestamp";
    public const string SignatureHeader = "Bollard-Webhook-Signature";
    public const string DeliveryHeader = "Bollard-Webhook-Delivery";
    public const string AttemptHeader = "Bollard-Webhook-Attempt";
    public const string SecretPrefix = "whsec_";

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        byte[] prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        byte[] message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>A receiver's check (used by the tests; the documented algorithm).</summary>
    public static bool Verify(string secret, string timestamp, ReadOnlySpan<byte> body, string signature, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, seconds, body)), Encoding.ASCII.GetBytes(signature));
    }
}
