using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth.Scenes;

namespace SNoJoE.Synth.Writers;

/// <summary>
/// Writes a PASCAL VOC folder: <c>JPEGImages/&lt;id&gt;.jpg</c>, <c>Annotations/&lt;id&gt;.xml</c> (through
/// <see cref="VocAnnotation.Save"/>), and <c>ImageSets/Main/&lt;split&gt;.txt</c> plus the per-class
/// <c>&lt;class&gt;_&lt;split&gt;.txt</c> lists (<c>id  1</c> / <c>id -1</c>) of the real dataset.
/// Every file is written whole by one thread, so parallel generation stays byte-reproducible.
/// </summary>
public sealed class VocWriter
{
    public VocWriter(string root)
    {
        Root = root;
        Directory.CreateDirectory(ImagesDirectory);
        Directory.CreateDirectory(AnnotationsDirectory);
        Directory.CreateDirectory(SplitsDirectory);
    }

    public string Root { get; }
    public string FolderName => Path.GetFileName(Root);
    public string ImagesDirectory => Path.Combine(Root, "JPEGImages");
    public string AnnotationsDirectory => Path.Combine(Root, "Annotations");
    public string SplitsDirectory => Path.Combine(Root, "ImageSets", "Main");

    public void WriteSample(string id, ComposedScene scene) =>
        WriteSample(id, scene.Image, scene.JpegQuality, scene.Objects.Select(o => new VocObject(o.Label, false, o.Box)).ToArray());

    public void WriteSample(string id, Image image, int jpegQuality, IReadOnlyList<VocObject> objects)
    {
        SceneFiles.SaveJpeg(image, jpegQuality, Path.Combine(ImagesDirectory, id + ".jpg"));
        new VocAnnotation(id + ".jpg", image.Width, image.Height, objects)
            .Save(Path.Combine(AnnotationsDirectory, id + ".xml"), FolderName);
    }

    /// <summary>Writes the split list and, for each class, which of the split's images show it.</summary>
    public void WriteSplit(string split, IReadOnlyList<(string Id, IReadOnlyCollection<string> Labels)> samples, IReadOnlyList<string> classes)
    {
        File.WriteAllText(Path.Combine(SplitsDirectory, split + ".txt"), string.Concat(samples.Select(s => s.Id + "\n")));
        foreach (var name in classes)
        {
            var text = new StringBuilder();
            foreach (var (id, labels) in samples) text.Append(id).Append(labels.Contains(name) ? "  1\n" : " -1\n");
            File.WriteAllText(Path.Combine(SplitsDirectory, $"{name}_{split}.txt"), text.ToString());
        }
    }
}

public static class SceneFiles
{
    /// <summary>Saves a scene as a baseline JPEG with its own quality and no metadata.</summary>
    public static void SaveJpeg(ComposedScene scene, string path) => SaveJpeg(scene.Image, scene.JpegQuality, path);

    public static void SaveJpeg(Image image, int quality, string path)
    {
        image.Metadata.ExifProfile = null;
        image.Metadata.IptcProfile = null;
        image.Metadata.XmpProfile = null;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = quality });
    }
}
