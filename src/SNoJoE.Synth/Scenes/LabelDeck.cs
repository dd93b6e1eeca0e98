namespace SNoJoE.Synth.Scenes;

/// <summary>
/// Deals labels from shuffled decks holding every label once, so that over a split each label is
/// used almost exactly equally often (balanced label frequencies), with no label twice in a scene.
/// </summary>
public sealed class LabelDeck(IReadOnlyList<string> labels, SynthRandom random)
{
    private readonly List<string> _deck = [];

    public IReadOnlyList<string> Deal(int count)
    {
        if (count > labels.Count) throw new ArgumentOutOfRangeException(nameof(count), $"a scene cannot hold {count} distinct labels out of {labels.Count}.");
        var hand = new List<string>(count);
        while (hand.Count < count)
        {
            if (_deck.Count == 0) Refill();
            var i = _deck.FindIndex(l => !hand.Contains(l));
            if (i < 0)
            {
                // the rest of this deck is already in the hand: start the next deck
                Refill();
                continue;
            }
            hand.Add(_deck[i]);
            _deck.RemoveAt(i);
        }
        return hand;
    }

    private void Refill()
    {
        var fresh = labels.ToList();
        random.Shuffle(fresh);
        _deck.AddRange(fresh);
    }
}
