using System.Buffers;
using System.Text.Json;
using Bollard.Trust.Admission;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Bollard.Server.Admission;

/// <summary>
/// <c>POST /admission/validate</c> and <c>POST /admission/mutate</c> (docs/admission.md): checks the caller, reads the
/// AdmissionReview (at most <see cref="AdmissionOptions.MaxRequestBytes"/>: a bigger one is 413 and is not read),
/// lets <see cref="AdmissionReviewer"/> decide and answers in the request's version. A body that is not an answerable
/// review (not JSON, no request or uid) is 400 with the reason; anything wrong inside the object is a denied review.
/// </summary>
public sealed class AdmissionEndpoint(AdmissionReviewer reviewer, AdmissionClientCheck clients, AdmissionOptions options)
{
    public Task ValidateAsync(HttpContext context) => HandleAsync(context, mutate: false);

    public Task MutateAsync(HttpContext context) => HandleAsync(context, mutate: true);

    private async Task HandleAsync(HttpContext context, bool mutate)
    {
        var ct = context.RequestAborted;
        if (await clients.CheckAsync(context).ConfigureAwait(false) is { } refused)
        {
            await ErrorAsync(context, refused.Status, refused.Reason).ConfigureAwait(false);
            return;
        }
        int max = options.MaxRequestBytes;
        if (context.Request.ContentLength > max)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, TooLarge(context.Request.ContentLength.Value)).ConfigureAwait(false);
            return;
        }
        var body = await ReadBoundedAsync(context, max, ct).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, TooLarge(null)).ConfigureAwait(false);
            return;
        }
        AdmissionReview review;
        try
        {
            review = AdmissionReview.Parse(body.Value);
        }
        catch (AdmissionReviewException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "not an AdmissionReview request: " + e.Message).ConfigureAwait(false);
            return;
        }
        using (review)
        {
            var verdict = await reviewer.ReviewAsync(review, mutate, ct).ConfigureAwait(false);
            byte[] response = AdmissionResponse.Write(review.ApiVersion, review.Uid, verdict);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = response.Length;
            await context.Response.Body.WriteAsync(response, ct).ConfigureAwait(false);
        }
    }

    private string TooLarge(long? length) =>
        $"the AdmissionReview is {(length is { } l ? $"{l} bytes" : "larger than the limit")}; at most {options.MaxRequestBytes} bytes are read (Admission:MaxRequestBytes)";

    /// <returns>The body, or null when it is longer than <paramref name="max"/> (reading stops there).</returns>
    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(HttpContext context, int max, CancellationToken ct)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max + 1L;
        byte[] rented = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var buffer = new MemoryStream(context.Request.ContentLength is { } n ? (int)n : 16 * 1024);
            int read;
            while ((read = await context.Request.Body.ReadAsync(rented, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > max) return null;
                buffer.Write(rented, 0, read);
            }
            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("message", message);
            w.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
