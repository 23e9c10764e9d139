using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

public sealed record ApiError(string Code, string Message);

public sealed record ApiErrorBody(ApiError Error);

public sealed record MeResponse(string Name, string Kind, bool Admin, IReadOnlyList<BindingView> Bindings);

public sealed record CreateUserRequest(string Name, string Password, bool Admin = false);

public sealed record UpdateUserRequest(string? Password, string? CurrentPassword, bool? Admin);

public sealed record UserView(string Name, bool Admin, DateTimeOffset CreatedAt);

public sealed record BindingRequest(string Role, string Namespace);

public sealed record CreateRobotRequest(string Name, string? Description, string? ExpiresIn, IReadOnlyList<BindingRequest>? Bindings);

public sealed record RobotView(string Name, string Description, DateTimeOffset? ExpiresAt, string CreatedBy, DateTimeOffset CreatedAt, bool Expired);

/// <summary>The only response that ever carries a robot's secret: shown once.</summary>
public sealed record RobotCreated(string Name, string Secret, DateTimeOffset? ExpiresAt);

public sealed record CreateTokenRequest(string Name, string? ExpiresIn);

public sealed record TokenView(long Id, string Name, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>The only response that ever carries a personal access token: shown once.</summary>
public sealed record TokenCreated(long Id, string Name, string Token, DateTimeOffset? ExpiresAt);

public sealed record CreateBindingRequest(string Principal, string Role, string Namespace);

public sealed record BindingView(long Id, string Principal, string Kind, string Role, string Namespace, DateTimeOffset CreatedAt);

public sealed record PublicNamespaceRequest(string Namespace, bool Public);

public sealed record PublicNamespaces(IReadOnlyList<string> Namespaces);

public sealed record AuditEventView(long Id, DateTimeOffset Time, string Principal, string Client, string Action, string? Repository, string? Reference, string Outcome, string? Detail, int Count);

public sealed record AuditPage(IReadOnlyList<AuditEventView> Events, long? NextBefore);

public sealed record KeyRotated(string KeyId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiErrorBody))]
[JsonSerializable(typeof(MeResponse))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UpdateUserRequest))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(List<UserView>))]
[JsonSerializable(typeof(CreateRobotRequest))]
[JsonSerializable(typeof(RobotView))]
[JsonSerializable(typeof(List<RobotView>))]
[JsonSerializable(typeof(RobotCreated))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(TokenView))]
[JsonSerializable(typeof(List<TokenView>))]
[JsonSerializable(typeof(TokenCreated))]
[JsonSerializable(typeof(CreateBindingRequest))]
[JsonSerializable(typeof(BindingView))]
[JsonSerializable(typeof(List<BindingView>))]
[JsonSerializable(typeof(PublicNamespaceRequest))]
[JsonSerializable(typeof(PublicNamespaces))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(KeyRotated))]
public sealed partial class ManagementJson : JsonSerializerContext;
