using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Core.Mirror.Sync;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MirrorSyncRequest))]
[JsonSerializable(typeof(MirrorSyncProgress))]
internal sealed partial class MirrorOpsJson : JsonSerializerContext;
