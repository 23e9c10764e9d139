namespace Bollard.Core.Webhooks;

/// <summary>The payload of a webhook. Stored by name: never rename.</summary>
public enum WebhookFormat
{
    /// <summary>CloudEvents 1.0, structured mode: one event per request, <c>application/cloudevents+json</c>.</summary>
    CloudEvents,

    /// <summary>Distribution's notification envelope, <c>application/vnd.docker.distribution.events.v1+json</c>, <c>{"events":[one event]}</c>.</summary>
    Distribution,
}
