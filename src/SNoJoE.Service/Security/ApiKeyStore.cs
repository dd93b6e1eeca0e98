using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SNoJoE.Service.Security;

/// <summary>
/// The accepted API keys, held only as SHA-256 digests. A presented key is hashed and compared with
/// every accepted digest in constant time, so neither the position of the first differing byte, the
/// key's length nor which key matched shows in the response time.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly byte[][] _digests;

    public ApiKeyStore(IOptions<SecurityOptions> options)
    {
        _digests = ApiKeySources.Read(options.Value).Keys.Select(Digest).ToArray();
    }

    /// <summary>False when no key is configured: the endpoints are open (the default).</summary>
    public bool Enabled => _digests.Length > 0;

    public int Count => _digests.Length;

    public bool IsValid(string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        var digest = Digest(presented);
        bool match = false;
        foreach (var accepted in _digests) match |= CryptographicOperations.FixedTimeEquals(digest, accepted);
        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>Collects the configured keys, or says what is wrong with them.</summary>
public static class ApiKeySources
{
    public sealed record Result(IReadOnlyList<string> Keys, IReadOnlyList<string> Failures);

    public static Result Read(SecurityOptions options)
    {
        var keys = new List<string>();
        var failures = new List<string>();
        const string s = SecurityOptions.Section;
        for (int i = 0; i < options.ApiKeys.Length; i++)
            Add(keys, failures, options.ApiKeys[i], $"{s}:ApiKeys:{i}");

        if (!string.IsNullOrWhiteSpace(options.ApiKeysFile))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(options.ApiKeysFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{s}:ApiKeysFile '{options.ApiKeysFile}' cannot be read: {e.Message}");
                return new Result(keys, failures);
            }
            int before = keys.Count;
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                Add(keys, failures, line, $"{s}:ApiKeysFile line {i + 1}");
            }
            // An empty secret must not silently open the service that the operator meant to protect.
            if (keys.Count == before && failures.Count == 0)
                failures.Add($"{s}:ApiKeysFile '{options.ApiKeysFile}' holds no key");
        }
        return new Result(keys, failures);
    }

    private static void Add(List<string> keys, List<string> failures, string? key, string where)
    {
        // Never echo the key itself: the message goes to the log.
        if (string.IsNullOrWhiteSpace(key) || key.Length < SecurityOptions.MinApiKeyLength)
            failures.Add($"{where}: an API key must have at least {SecurityOptions.MinApiKeyLength} characters");
        else if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c > '\u007e'))
            failures.Add($"{where}: an API key must be printable ASCII without spaces (it travels in an HTTP header)");
        else
            keys.Add(key);
    }
}

public sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var failures = ApiKeySources.Read(options).Failures;
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
