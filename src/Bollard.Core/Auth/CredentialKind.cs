namespace Bollard.Core.Auth;

/// <summary>What a caller proved: its password, a personal access token, a robot secret.</summary>
public enum CredentialKind
{
    Password,
    AccessToken,
    RobotSecret,
}
