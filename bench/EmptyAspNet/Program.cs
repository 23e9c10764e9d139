// The smallest ASP.NET Core server that answers like a registry's base endpoint: the same slim builder, Kestrel on
// one loopback port, one route. Usage: empty-aspnet PORT
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture)));
var app = builder.Build();
app.MapGet("/v2/", () => Results.Text("{}", "application/json"));
app.Run();
