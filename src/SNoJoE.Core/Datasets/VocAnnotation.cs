using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace SNoJoE.Core.Datasets;

public sealed record BoundingBox(int XMin, int YMin, int XMax, int YMax);

public sealed record VocObject(string Name, bool Difficult, BoundingBox? Box);

/// <summary>One PASCAL VOC annotation file (the parts image-level multi-label training needs).</summary>
public sealed record VocAnnotation(string FileName, int Width, int Height, IReadOnlyList<VocObject> Objects)
{
    public static VocAnnotation Load(string path)
    {
        XDocument doc;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(path, settings);
            doc = XDocument.Load(reader);
        }
        catch (Exception e) when (e is XmlException or IOException)
        {
            throw new DatasetException($"{path}: malformed annotation XML: {e.Message}", e);
        }
        var root = doc.Root;
        if (root is null || root.Name.LocalName != "annotation")
            throw new DatasetException($"{path}: the root element is not <annotation>.");
        var size = root.Element("size");
        var objects = new List<VocObject>();
        foreach (var obj in root.Elements("object"))
        {
            var name = obj.Element("name")?.Value.Trim();
            if (string.IsNullOrEmpty(name)) throw new DatasetException($"{path}: an <object> has no <name>.");
            bool difficult = obj.Element("difficult")?.Value.Trim() is "1" or "true";
            BoundingBox? box = null;
            if (obj.Element("bndbox") is { } b)
                box = new BoundingBox(ParseCoordinate(b, "xmin", path), ParseCoordinate(b, "ymin", path),
                    ParseCoordinate(b, "xmax", path), ParseCoordinate(b, "ymax", path));
            objects.Add(new VocObject(name, difficult, box));
        }
        return new VocAnnotation(
            root.Element("filename")?.Value.Trim() ?? "",
            ParseInt(size?.Element("width")?.Value, 0),
            ParseInt(size?.Element("height")?.Value, 0),
            objects);
    }

    public void Save(string path, string folder = "VOC")
    {
        var root = new XElement("annotation",
            new XElement("folder", folder),
            new XElement("filename", FileName),
            new XElement("size", new XElement("width", Width), new XElement("height", Height), new XElement("depth", 3)),
            new XElement("segmented", 0));
        foreach (var o in Objects)
        {
            var element = new XElement("object",
                new XElement("name", o.Name),
                new XElement("pose", "Unspecified"),
                new XElement("truncated", 0),
                new XElement("difficult", o.Difficult ? 1 : 0));
            if (o.Box is { } b)
                element.Add(new XElement("bndbox", new XElement("xmin", b.XMin), new XElement("ymin", b.YMin),
                    new XElement("xmax", b.XMax), new XElement("ymax", b.YMax)));
            root.Add(element);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // No byte-order mark: real VOC annotations have none, and naive readers choke on it.
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true, NewLineChars = "\n", Encoding = new System.Text.UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        new XDocument(root).Save(writer);
    }

    private static int ParseCoordinate(XElement box, string name, string path)
    {
        var text = box.Element(name)?.Value.Trim();
        // VOC files sometimes carry fractional coordinates.
        if (text is null || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new DatasetException($"{path}: bounding box <{name}> is missing or not a number.");
        return (int)Math.Round(value);
    }

    private static int ParseInt(string? text, int fallback) =>
        int.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}

public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
