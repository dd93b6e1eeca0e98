namespace SNoJoE.Service.Security;

/// <summary>
/// Optional API-key authentication of the scoring endpoints (configuration section <c>Security</c>).
/// Off unless at least one key is configured, inline or in a mounted secret file.
/// </summary>
public sealed record SecurityOptions
{
    public const string Section = "Security";
    public const string ApiKeyHeader = "X-API-Key";
    public const int MinApiKeyLength = 16;

    /// <summary>Accepted keys (e.g. <c>Security__ApiKeys__0</c> in the environment).</summary>
    public string[] ApiKeys { get; init; } = [];

    /// <summary>A file with one key per line (a mounted Kubernetes or Docker secret); blank lines and <c>#</c> comments are ignored.</summary>
    public string? ApiKeysFile { get; init; }
}
