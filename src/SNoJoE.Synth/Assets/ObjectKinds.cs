using System.Text.RegularExpressions;

namespace SNoJoE.Synth.Assets;

/// <summary>
/// Whether two picture names stand for the same kind of object ("frog" and "frog-1", "lemon" and "lemon_slice",
/// "mantelpiece_clock" and "alarm_clock"). Aux-outliers must not teach the model any kind of object that
/// ood-objects tests it on, even drawn by another artist, so the rule errs on the side of a match: equal letters,
/// one name inside the other (5 letters or more), or a shared word of 4 letters or more.
/// </summary>
public static class ObjectKinds
{
    private static readonly HashSet<string> NotAKind = new(StringComparer.Ordinal) { "with", "and", "the", "for", "face", "sign", "symbol", "button", "mark" };

    public static bool Same(string first, string second)
    {
        string a = Letters(first), b = Letters(second);
        if (a.Length == 0 || b.Length == 0) return false;
        if (a == b) return true;
        var (shorter, longer) = a.Length <= b.Length ? (a, b) : (b, a);
        if (shorter.Length >= 5 && longer.Contains(shorter, StringComparison.Ordinal)) return true;
        return Words(first).Overlaps(Words(second));
    }

    private static string Letters(string name) => new([.. name.ToLowerInvariant().Where(char.IsAsciiLetterLower)]);

    private static HashSet<string> Words(string name) =>
        Regex.Split(name.ToLowerInvariant(), "[^a-z]+")
            .Where(w => w.Length >= 4 && !NotAKind.Contains(w)).ToHashSet(StringComparer.Ordinal);
}
