using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard webhook add|list|show|remove|enable|ping|deliveries|redeliver</c> (maintainers of the namespace, admins).</summary>
internal static class WebhookCommands
{
    public static Command Create() => BollardCli.Group("webhook", "Send signed registry events to an HTTP endpoint (maintainers of the namespace, admins)",
        Add(), List(), Show(), Remove(), Enable(), Ping(), Deliveries(), Redeliver());

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static Argument<string> IdArgument() => new("ID") { Description = "The webhook's id (see 'bollard webhook list')" };

    private static Command Add()
    {
        var url = new Argument<string>("URL") { Description = "Where to POST the events (its host must be in the server's Webhooks:AllowedHosts or AllowedNetworks)" };
        var ns = new Option<string>("--namespace") { Description = "Namespace pattern of the repositories, e.g. 'team-a/**' ('**' also gets registry-wide events such as gc.finished)", HelpName = "PATTERN", Required = true };
        var events = new Option<string[]>("--event") { Description = "An event to send (repeatable): manifest.pushed, tag.deleted, repository.deleted, quota.exceeded, gc.finished (the default set), or any other kind", HelpName = "EVENT" };
        var format = new Option<string?>("--format") { Description = "cloudevents (default) or distribution (Distribution's notification envelope)", HelpName = "FORMAT" };
        var description = new Option<string?>("--description") { Description = "What the webhook is for", HelpName = "TEXT" };
        return BollardCli.Leaf("add", "Add a webhook; its signing secret is printed once", async ctx =>
        {
            var p = ctx.Parse;
            string[] kinds = p.GetValue(events) ?? [];
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/webhooks",
                ManagementClient.Json(new CreateWebhookRequest(p.GetValue(url), p.GetValue(ns), kinds.Length > 0 ? kinds : null, p.GetValue(format), p.GetValue(description)),
                    WebhookJson.Default.CreateWebhookRequest), ctx.Cancellation).ConfigureAwait(false);
            var created = client.Parse(body, WebhookJson.Default.WebhookCreated);
            ctx.Print(body, () =>
            {
                var o = Console.Out;
                var w = created.Webhook;
                o.WriteLine($"Added webhook {w.Id}: {string.Join(", ", w.Events)} in {w.Namespace} -> {w.Url} ({w.Format}).");
                o.WriteLine();
                o.WriteLine($"Signing secret: {created.Secret}");
                o.WriteLine();
                o.WriteLine("The secret is shown only this once: give it to the receiver now. Each request carries");
                o.WriteLine("Bollard-Webhook-Timestamp and Bollard-Webhook-Signature: v1=HMAC-SHA256(secret, timestamp + \".\" + body) in hex.");
            });
            return 0;
        }, url, ns, events, format, description);
    }

    private static Command List() => BollardCli.Leaf("list", "List the webhooks you manage", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/webhooks", null, ctx.Cancellation).ConfigureAwait(false);
        var webhooks = client.Parse(body, WebhookJson.Default.ListWebhookView);
        ctx.Print(body, () => Output.Table(["ID", "NAMESPACE", "URL", "EVENTS", "FORMAT", "STATE"],
            webhooks.Select(w => new[] { Id(w.Id), w.Namespace, w.Url, string.Join(",", w.Events), w.Format, State(w) }), "No webhooks."));
        return 0;
    });

    private static string State(WebhookView w) =>
        !w.Enabled ? "DISABLED" : w.ConsecutiveFailures > 0 ? $"failing ({w.ConsecutiveFailures} since {Output.Time(w.FailingSince)})" : "enabled";

    private static Command Show()
    {
        var id = IdArgument();
        return BollardCli.Leaf("show", "Show a webhook (never its secret)", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/webhooks/{webhookId}", null, ctx.Cancellation).ConfigureAwait(false);
            var w = client.Parse(body, WebhookJson.Default.WebhookView);
            ctx.Print(body, () =>
            {
                var o = Console.Out;
                o.WriteLine($"Webhook {w.Id}");
                o.WriteLine($"  namespace:   {w.Namespace}");
                o.WriteLine($"  url:         {w.Url}");
                o.WriteLine($"  events:      {string.Join(", ", w.Events)}");
                o.WriteLine($"  format:      {w.Format}");
                o.WriteLine($"  state:       {State(w)}");
                if (w.DisabledReason is { } reason) o.WriteLine($"  disabled:    {reason}");
                if (w.Description.Length > 0) o.WriteLine($"  description: {w.Description}");
                o.WriteLine($"  created:     {Output.Time(w.CreatedAt)} by {w.CreatedBy}");
            });
            return 0;
        }, id);
    }

    private static Command Remove()
    {
        var id = IdArgument();
        return BollardCli.Leaf("remove", "Delete a webhook with its queue and delivery log", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{webhookId}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed webhook {webhookId}.");
            return 0;
        }, id);
    }

    private static Command Enable()
    {
        var id = IdArgument();
        var off = new Option<bool>("--disable") { Description = "Disable it instead (nothing is sent or queued until it is enabled)" };
        return BollardCli.Leaf("enable", "Enable a webhook that was disabled (its queue is sent again from where it stopped)", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            bool enable = !ctx.Parse.GetValue(off);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Patch, $"/api/v1/webhooks/{webhookId}",
                ManagementClient.Json(new UpdateWebhookRequest(null, null, null, null, null, enable), WebhookJson.Default.UpdateWebhookRequest), ctx.Cancellation).ConfigureAwait(false);
            ctx.Print(body, () => Console.Out.WriteLine(enable ? $"Enabled webhook {webhookId}." : $"Disabled webhook {webhookId}."));
            return 0;
        }, id, off);
    }

    private static Command Ping()
    {
        var id = IdArgument();
        return BollardCli.Leaf("ping", "Queue a test request (type dev.bollard.webhook.ping); see 'bollard webhook deliveries' for its outcome", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/ping", null, ctx.Cancellation).ConfigureAwait(false);
            var queued = client.Parse(body, WebhookJson.Default.WebhookQueued);
            ctx.Print(body, () => Console.Out.WriteLine($"Queued ping as delivery {queued.DeliveryId} of webhook {webhookId}."));
            return 0;
        }, id);
    }

    private static Command Deliveries()
    {
        var id = IdArgument();
        var limit = new Option<int?>("--limit") { Description = "How many of the newest deliveries and attempts (default 20)", HelpName = "N" };
        return BollardCli.Leaf("deliveries", "Show a webhook's newest deliveries and its delivery log", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            int n = ctx.Parse.GetValue(limit) ?? 20;
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/webhooks/{webhookId}/deliveries?limit={n}", null, ctx.Cancellation).ConfigureAwait(false);
            var log = client.Parse(body, WebhookJson.Default.WebhookDeliveries);
            ctx.Print(body, () =>
            {
                Output.Table(["DELIVERY", "EVENT", "TYPE", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"],
                    log.Deliveries.Select(d => new[]
                    {
                        Id(d.Id), d.EventId, d.Type, d.State, d.Attempts.ToString(CultureInfo.InvariantCulture), Output.Time(d.NextAttemptAt), d.LastError ?? "",
                    }), "No deliveries.");
                Console.Out.WriteLine();
                Output.Table(["TIME", "DELIVERY", "ATTEMPT", "OUTCOME", "STATUS", "LATENCY", "ERROR"],
                    log.Attempts.Select(a => new[]
                    {
                        Output.Time(a.Time), Id(a.DeliveryId), a.Attempt.ToString(CultureInfo.InvariantCulture), a.Outcome,
                        a.ResponseCode?.ToString(CultureInfo.InvariantCulture) ?? "-", $"{a.LatencyMs} ms", a.Error ?? "",
                    }), "No attempts yet.");
            });
            return 0;
        }, id, limit);
    }

    private static Command Redeliver()
    {
        var id = IdArgument();
        var delivery = new Argument<string>("DELIVERY") { Description = "The delivery's id (see 'bollard webhook deliveries')" };
        return BollardCli.Leaf("redeliver", "Send a delivery again (same event id and body), after what is queued", async ctx =>
        {
            long webhookId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            long deliveryId = BollardCli.CheckId(ctx.Parse.GetValue(delivery), "DELIVERY");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", null, ctx.Cancellation).ConfigureAwait(false);
            var queued = client.Parse(body, WebhookJson.Default.WebhookQueued);
            ctx.Print(body, () => Console.Out.WriteLine($"Queued delivery {deliveryId} again as delivery {queued.DeliveryId}."));
            return 0;
        }, id, delivery);
    }
}
