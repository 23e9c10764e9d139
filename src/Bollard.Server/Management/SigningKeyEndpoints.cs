using Bollard.Core.Trust;
using Bollard.Trust.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/signing-keys</c>: server-held image signing keys and signing with them (see <see cref="ServerSigningKeys"/>).</summary>
internal static class SigningKeyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/signing-keys", async (HttpContext http, SigningKeyRequest body, ServerSigningKeys keys) =>
        {
            var caller = await ManagementApi.CallerAsync(http);
            var key = body.PrivateKeyPem is null
                ? await keys.GenerateAsync(caller, body.Name, body.Algorithm, body.Principals, http.RequestAborted)
                : await keys.ImportAsync(caller, body.Name, body.PrivateKeyPem, body.Password, body.RsaPss ?? false, body.Principals, http.RequestAborted);
            return Results.Created($"/api/v1/signing-keys/{key.Name}", View(key));
        }).WithSummary("Generate a signing key, or import one (PEM or an encrypted cosign key with its password) (admin)");

        api.MapGet("/signing-keys", async (HttpContext http, ServerSigningKeys keys) =>
            Results.Ok((await keys.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List signing keys: public parts and allowed principals (admin)");

        api.MapGet("/signing-keys/{name}", async (HttpContext http, string name, ServerSigningKeys keys) =>
            Results.Ok(View(await keys.GetAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted))))
            .WithSummary("A signing key's public key, fingerprint and principals (admin, or a principal allowed to sign with it)");

        api.MapGet("/signing-keys/{name}/public-key", async (HttpContext http, string name, ServerSigningKeys keys) =>
            Results.Text((await keys.GetAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted)).PublicKeyPem, "application/x-pem-file"))
            .WithSummary("The public key as PEM, for `bollard verify --key` and cosign (admin, or an allowed principal)");

        api.MapDelete("/signing-keys/{name}", async (HttpContext http, string name, ServerSigningKeys keys) =>
        {
            await keys.DeleteAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a signing key; signatures it made stay, policies naming it as serverKey stop trusting them (admin)");

        api.MapPut("/signing-keys/{name}/principals", async (HttpContext http, string name, SigningKeyPrincipalsRequest body, ServerSigningKeys keys) =>
            Results.Ok(View(await keys.SetPrincipalsAsync(await ManagementApi.CallerAsync(http), name, body.Principals, http.RequestAborted))))
            .WithSummary("Replace the users and robots (robot$NAME) allowed to sign with the key (admin)");

        api.MapPost("/signing-keys/{name}/sign", async (HttpContext http, string name, SignRequest body, ServerSigningKeys keys) =>
        {
            var outcome = await keys.SignAsync(await ManagementApi.CallerAsync(http), name, body.Repository, body.Reference, body.Formats,
                http.Request.Host.Value ?? "", http.RequestAborted);
            return Results.Ok(new SignResultView(outcome.Key.Name, outcome.Key.Fingerprint, outcome.Repository, outcome.Digest.ToString(),
                outcome.Signatures.Select(s => new SignatureWrittenView(ServerSigningKeys.FormatName(s.Format), s.Manifest.ToString(), s.Tag, s.AlreadyPresent)).ToList()));
        }).WithSummary("Sign an image with the key and attach the signatures (a principal allowed to use the key, with push on the repository)");
    }

    private static SigningKeyView View(ImageSigningKeyRecord k) =>
        new(k.Name, k.Algorithm, k.Fingerprint, k.PublicKeyPem, k.CertificateChainPem, k.AllowedPrincipals, k.CreatedBy, k.CreatedAt, k.UpdatedAt);
}
