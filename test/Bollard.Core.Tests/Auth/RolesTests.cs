using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class RolesTests
{
    [Theory]
    [InlineData(Role.Reader, RepositoryAccess.Pull)]
    [InlineData(Role.Developer, RepositoryAccess.Pull | RepositoryAccess.Push)]
    [InlineData(Role.Maintainer, RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete | RepositoryAccess.Manage)]
    [InlineData(Role.Admin, RepositoryAccess.All)]
    public void Access(Role role, RepositoryAccess expected) => Assert.Equal(expected, role.Access());

    [Fact]
    public void EachRole_IncludesTheOneBefore()
    {
        var roles = Enum.GetValues<Role>();
        for (int i = 1; i < roles.Length; i++)
            Assert.Equal(roles[i - 1].Access(), roles[i].Access() & roles[i - 1].Access());
    }

    [Fact]
    public void UndefinedRole_GrantsNothing() => Assert.Equal(RepositoryAccess.None, ((Role)42).Access());

    [Theory]
    [InlineData("reader", Role.Reader)]
    [InlineData("developer", Role.Developer)]
    [InlineData("maintainer", Role.Maintainer)]
    [InlineData("admin", Role.Admin)]
    [InlineData("Admin", Role.Admin)]
    [InlineData("MAINTAINER", Role.Maintainer)]
    public void TryParse_Names(string value, Role expected)
    {
        Assert.True(Roles.TryParse(value, out var role));
        Assert.Equal(expected, role);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("owner")]
    [InlineData("0")]
    [InlineData("3")]
    [InlineData("-1")]
    [InlineData(" 3")]
    [InlineData("42")]
    // Enum.TryParse reads "a,b" as flags: developer|maintainer = 1|2 = 3 = admin. A role list is not a role.
    [InlineData("developer,maintainer")]
    [InlineData("reader,developer")]
    [InlineData("reader, admin")]
    [InlineData(" reader")]
    [InlineData("reader ")]
    public void TryParse_Rejects(string? value) => Assert.False(Roles.TryParse(value, out _));

    [Fact]
    public void Name_IsLowerCase()
    {
        Assert.Equal("reader", Role.Reader.Name());
        Assert.Equal("admin", Role.Admin.Name());
        foreach (var role in Enum.GetValues<Role>())
        {
            Assert.True(Roles.TryParse(role.Name(), out var back));
            Assert.Equal(role, back);
        }
    }

    [Theory]
    [InlineData("pull", RepositoryAccess.Pull)]
    [InlineData("push", RepositoryAccess.Push)]
    [InlineData("delete", RepositoryAccess.Delete)]
    [InlineData("*", RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete)]
    [InlineData("manage", RepositoryAccess.None)]
    [InlineData("Pull", RepositoryAccess.None)]
    [InlineData("", RepositoryAccess.None)]
    public void ActionNames_Parse(string action, RepositoryAccess expected) => Assert.Equal(expected, RepositoryAccessNames.Parse(action));

    [Fact]
    public void ActionNames_Names_LeaveOutManage() =>
        Assert.Equal(["pull", "push", "delete"], RepositoryAccessNames.Names(RepositoryAccess.All));
}
