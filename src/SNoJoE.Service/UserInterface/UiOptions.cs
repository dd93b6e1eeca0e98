using Microsoft.Extensions.Options;

namespace SNoJoE.Service.UserInterface;

/// <summary>The page for people at <c>GET /</c> (configuration section <c>Ui</c>).</summary>
public sealed record UiOptions
{
    public const string Section = "Ui";

    /// <summary>Serve the page and its script and style sheet; when false, <c>GET /</c> is 404 like any unknown route.</summary>
    public bool Enabled { get; init; } = true;
}

/// <summary>
/// Nothing to range-check in a switch, but binding runs at start like every other section, so a
/// value that is not a boolean (<c>Ui:Enabled=yes</c>) stops the service before it listens.
/// </summary>
public sealed class UiOptionsValidator : IValidateOptions<UiOptions>
{
    public ValidateOptionsResult Validate(string? name, UiOptions options) => ValidateOptionsResult.Success;
}
