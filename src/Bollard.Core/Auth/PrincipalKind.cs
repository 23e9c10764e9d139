namespace Bollard.Core.Auth;

public enum PrincipalKind
{
    Anonymous,
    User,
    Robot,
}
