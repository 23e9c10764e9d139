using Bollard.Core.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/webhooks</c>: maintainers of the namespace and admins; the rules are in <see cref="WebhookService"/>.</summary>
internal static class WebhookEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/webhooks", async (HttpContext http, CreateWebhookRequest body, WebhookService webhooks) =>
        {
            var (webhook, secret) = await webhooks.CreateAsync(await ManagementApi.CallerAsync(http), body.Url, body.Namespace, body.Events, body.Format,
                body.Description, http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/webhooks/{webhook.Id}", new WebhookCreated(WebhookView.Of(webhook), secret));
        }).WithSummary("Create a webhook; its signing secret is in this response only (maintainer of the namespace, admin)");

        api.MapGet("/webhooks", async (HttpContext http, WebhookService webhooks) =>
            Results.Ok((await webhooks.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(WebhookView.Of).ToList()))
            .WithSummary("List the webhooks the caller manages");

        api.MapGet("/webhooks/{id:long}", async (HttpContext http, long id, WebhookService webhooks) =>
            Results.Ok(WebhookView.Of(await webhooks.GetAsync(await ManagementApi.CallerAsync(http), id, http.RequestAborted))))
            .WithSummary("Show a webhook (never its secret)");

        api.MapPatch("/webhooks/{id:long}", async (HttpContext http, long id, UpdateWebhookRequest body, WebhookService webhooks) =>
            Results.Ok(WebhookView.Of(await webhooks.UpdateAsync(await ManagementApi.CallerAsync(http), id, body.Url, body.Namespace, body.Events,
                body.Format, body.Description, body.Enabled, http.RequestAborted))))
            .WithSummary("Change a webhook; enabled: true re-enables one that was disabled");

        api.MapDelete("/webhooks/{id:long}", async (HttpContext http, long id, WebhookService webhooks) =>
        {
            await webhooks.DeleteAsync(await ManagementApi.CallerAsync(http), id, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a webhook with its queue and delivery log");

        api.MapGet("/webhooks/{id:long}/deliveries", async (HttpContext http, long id, int? limit, WebhookService webhooks) =>
        {
            var (deliveries, attempts) = await webhooks.DeliveriesAsync(await ManagementApi.CallerAsync(http), id, limit ?? 50, http.RequestAborted);
            return Results.Ok(new WebhookDeliveries(deliveries.Select(WebhookDeliveryView.Of).ToList(), attempts.Select(WebhookAttemptView.Of).ToList()));
        }).WithSummary("A webhook's newest deliveries and its delivery log (one entry per attempt)");

        api.MapPost("/webhooks/{id:long}/deliveries/{delivery:long}/redeliver", async (HttpContext http, long id, long delivery, WebhookService webhooks) =>
            Results.Accepted(value: new WebhookQueued(await webhooks.RedeliverAsync(await ManagementApi.CallerAsync(http), id, delivery, http.RequestAborted))))
            .WithSummary("Queue a delivery again (same event id and body)");

        api.MapPost("/webhooks/{id:long}/ping", async (HttpContext http, long id, WebhookService webhooks) =>
            Results.Accepted(value: new WebhookQueued(await webhooks.PingAsync(await ManagementApi.CallerAsync(http), id, http.RequestAborted))))
            .WithSummary("Queue a test request (type dev.bollard.webhook.ping)");
    }
}
