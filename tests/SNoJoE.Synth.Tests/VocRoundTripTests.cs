using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth;
using SNoJoE.Synth.Scenes;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth.Tests;

public class VocRoundTripTests
{
    [Fact]
    public void What_the_writer_writes_the_core_voc_reader_reads_back()
    {
        using var folder = new TempFolder();
        var writer = new VocWriter(Path.Combine(folder.Path, "VOCSynth"));
        var first = new PlacedObject[]
        {
            new("dog", "emoji/1f415.png", new BoundingBox(1, 2, 100, 80)),
            new("person", "stamps/people/fireman200b.png", new BoundingBox(150, 10, 300, 240)),
            new("dog", "emoji/1f436.png", new BoundingBox(20, 100, 60, 140)),
        };
        var second = new PlacedObject[] { new("tvmonitor", "emoji/1f4fa.png", new BoundingBox(5, 5, 50, 50)) };
        using (var scene = new ComposedScene(new Image<Rgb24>(320, 240, new Rgb24(90, 120, 60)), first, 90, "backgrounds/x.jpg"))
            writer.WriteSample("train_000001", scene);
        using (var scene = new ComposedScene(new Image<Rgb24>(240, 320), second, 85, "backgrounds/y.jpg"))
            writer.WriteSample("train_000002", scene);
        writer.WriteSplit("train", [("train_000001", ["dog", "person"]), ("train_000002", ["tvmonitor"])], VocClasses.Names);

        var annotationPath = Path.Combine(writer.AnnotationsDirectory, "train_000001.xml");
        Assert.Equal((byte)'<', File.ReadAllBytes(annotationPath)[0]); // no byte-order mark, as in real VOC files
        var annotation = VocAnnotation.Load(annotationPath);
        Assert.Equal(("train_000001.jpg", 320, 240), (annotation.FileName, annotation.Width, annotation.Height));
        Assert.Equal(first.Select(o => new VocObject(o.Label, false, o.Box)), annotation.Objects);

        var dataset = VocDataset.Open(folder.Path);
        Assert.Equal(writer.Root, dataset.Root);
        Assert.Equal(["train"], dataset.AvailableSplits());
        Assert.Equal(["train_000001", "train_000002"], dataset.SplitIds("train"));
        Assert.Equal(["dog", "person", "tvmonitor"], dataset.DiscoverLabels());
        var samples = dataset.LoadSplit("train", VocClasses.Names);
        Assert.Equal(2, samples.Count);
        Assert.Equal(["dog", "person"], VocClasses.Names.Where((_, i) => samples[0].Targets[i]));
        Assert.Equal(["tvmonitor"], VocClasses.Names.Where((_, i) => samples[1].Targets[i]));
        Assert.Equal(Path.Combine(writer.ImagesDirectory, "train_000002.jpg"), samples[1].ImagePath);
        var info = Image.Identify(samples[1].ImagePath);
        Assert.Equal((240, 320), (info.Width, info.Height));

        Assert.Equal("train_000001  1\ntrain_000002 -1\n", File.ReadAllText(Path.Combine(writer.SplitsDirectory, "dog_train.txt")));
        Assert.Equal("train_000001 -1\ntrain_000002  1\n", File.ReadAllText(Path.Combine(writer.SplitsDirectory, "tvmonitor_train.txt")));
    }
}
