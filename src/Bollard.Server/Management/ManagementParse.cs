using System.Globalization;
using Bollard.Core.Auth;

namespace Bollard.Server.Management;

/// <summary>Parsing of the values the management endpoints take from paths, queries and bodies.</summary>
internal static class ManagementParse
{
    public static Role Role(string? role) =>
        Roles.TryParse(role, out var r) ? r : throw new ManagementException(ManagementError.BadRequest, $"role '{role}' is not one of reader, developer, maintainer, admin");

    public static long Id(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : throw new ManagementException(ManagementError.BadRequest, $"'{text}' is not a number");

    public static TimeSpan? ExpiresIn(string? text) =>
        text is null ? null
        : Durations.TryParse(text, out var d) ? d
        : throw new ManagementException(ManagementError.BadRequest, $"expiresIn '{text}' is not like 90d, 12h, 30m");

    public static string? Optional(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public static DateTimeOffset? Time(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new ManagementException(ManagementError.BadRequest, $"{name} '{value}' is not an ISO 8601 time");
}
