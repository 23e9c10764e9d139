namespace Bollard.Core.Events;

/// <summary>
/// Wakes the <see cref="RegistryEventDispatcher"/> when a metadata transaction with events commits in this process,
/// so delivery does not wait for the next poll. Other nodes' commits are found by polling (PostgreSQL could feed
/// this from <c>LISTEN/NOTIFY</c>).
/// </summary>
public sealed class RegistryEventSignal : WakeSignal;
