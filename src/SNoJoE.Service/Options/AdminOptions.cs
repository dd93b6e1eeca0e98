namespace SNoJoE.Service.Options;

/// <summary>Operator endpoints (configuration section <c>Admin</c>); all off by default.</summary>
public sealed record AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Enables POST /admin/model/reload (it needs the API key when keys are configured); refused with 403 otherwise.</summary>
    public bool EnableModelReload { get; init; }
}
