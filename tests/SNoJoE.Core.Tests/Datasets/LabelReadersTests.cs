using SNoJoE.Core.Datasets;

namespace SNoJoE.Core.Tests.Datasets;

/// <summary>
/// The one labels reader interface (<see cref="ILabelledImages"/>) over CSV, JSON lines and COCO instances JSON, on files
/// written here: targets in the model's label order, the COCO label subset by name (images with none of the chosen labels
/// left out), and each bad file refused in one line.
/// </summary>
public sealed class LabelReadersTests : IDisposable
{
    private readonly TempFolder _temp = new("label-readers");
    private static readonly string[] Model = ["cat", "dog", "person"];

    public void Dispose() => _temp.Dispose();

    private string Folder(string name)
    {
        var path = _temp.Sub(name);
        Directory.CreateDirectory(path);
        return path;
    }

    [Fact]
    public void CSV_lines_give_targets_in_the_model_label_order_and_an_empty_list_is_an_ID_image_with_no_label()
    {
        var root = Folder("csv");
        File.WriteAllLines(Path.Combine(root, "val.csv"), ["path,labels", "img/a.jpg,dog;cat", "img/b,c.jpg,person", "img/c.jpg,"]);
        var data = LabelledImages.Open(root);
        Assert.Equal("CSV/JSON lines", data.Format);
        Assert.Equal(["val"], data.AvailableSplits());
        var images = data.ListSplit("val", Model);
        Assert.Equal(3, images.Count);
        Assert.Equal(Path.Combine(root, "img", "a.jpg"), images[0].Path);
        Assert.Equal([true, true, false], images[0].Targets!);
        Assert.Equal(Path.Combine(root, "img", "b,c.jpg"), images[1].Path); // the last comma separates the labels
        Assert.Equal([false, false, true], images[1].Targets!);
        Assert.Equal([false, false, false], images[2].Targets!);
        Assert.StartsWith("sha256:", data.Fingerprint());
    }

    [Fact]
    public void JSON_lines_read_path_and_labels()
    {
        var root = Folder("jsonl");
        File.WriteAllLines(Path.Combine(root, "test.jsonl"), ["{\"path\": \"x.png\", \"labels\": [\"person\"]}", "", "{\"path\": \"y.png\", \"labels\": []}"]);
        var images = LabelledImages.Open(root).ListSplit("test", Model);
        Assert.Equal([false, false, true], images[0].Targets!);
        Assert.Equal([false, false, false], images[1].Targets!);
    }

    [Fact]
    public void A_list_label_that_is_none_of_the_model_labels_or_a_missing_split_is_one_line()
    {
        var root = Folder("bad-csv");
        File.WriteAllLines(Path.Combine(root, "val.csv"), ["a.jpg,cat", "b.jpg,horse"]);
        var data = LabelledImages.Open(root);
        var e = Assert.Throws<DatasetException>(() => data.ListSplit("val", Model));
        Assert.Equal($"{Path.Combine(root, "val.csv")} line 2: label 'horse' is not one of the model's labels (cat, dog, person).", e.Message);
        Assert.Contains("Split 'test' not found", Assert.Throws<DatasetException>(() => data.CheckSplit("test")).Message);
    }

    private static string Coco(string root, string split, string categories, string images, string annotations)
    {
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        Directory.CreateDirectory(Path.Combine(root, split));
        var file = Path.Combine(root, "annotations", $"instances_{split}.json");
        File.WriteAllText(file, $"{{\"images\": [{images}], \"annotations\": [{annotations}], \"categories\": [{categories}]}}");
        return file;
    }

    private const string Categories = "{\"id\": 1, \"name\": \"person\"}, {\"id\": 17, \"name\": \"cat\"}, {\"id\": 18, \"name\": \"dog\"}, {\"id\": 25, \"name\": \"giraffe\"}";

    [Fact]
    public void COCO_labels_are_the_chosen_categories_of_each_image_annotations_and_images_with_none_are_left_out()
    {
        var root = Folder("coco");
        Coco(root, "val2017", Categories,
            "{\"id\": 10, \"file_name\": \"000010.jpg\"}, {\"id\": 11, \"file_name\": \"000011.jpg\"}, {\"id\": 12, \"file_name\": \"000012.jpg\"}, {\"id\": 13, \"file_name\": \"000013.jpg\"}",
            // image 10: person twice and a giraffe; 11: cat and dog; 12: only a giraffe; 13: no annotation at all
            "{\"image_id\": 10, \"category_id\": 1}, {\"image_id\": 10, \"category_id\": 1}, {\"image_id\": 10, \"category_id\": 25}, " +
            "{\"image_id\": 11, \"category_id\": 18}, {\"image_id\": 11, \"category_id\": 17}, {\"image_id\": 12, \"category_id\": 25}");
        var data = LabelledImages.Open(root);
        Assert.Equal("COCO", data.Format);
        Assert.Equal(["val2017"], data.AvailableSplits());
        var images = data.ListSplit("val2017", Model);
        Assert.Equal(["000010", "000011"], images.Select(i => i.Id));
        Assert.Equal([false, false, true], images[0].Targets!);  // person; the giraffe is not a chosen label
        Assert.Equal([true, true, false], images[1].Targets!);   // cat, dog
        Assert.Equal(Path.Combine(root, "val2017", "000010.jpg"), images[0].Path);
        // a subset by name: a model of cats only keeps image 11
        Assert.Equal(["000011"], data.ListSplit("val2017", ["cat"]).Select(i => i.Id));
        // what train learns: the categories annotations use (the unused 'none of them' do not count), sorted
        Assert.Equal(["cat", "dog", "giraffe", "person"], data.DiscoverLabels());
    }

    [Fact]
    public void List_labels_for_training_are_the_union_of_the_splits_labels_sorted_and_missing_images_are_skipped_or_refused()
    {
        var root = Folder("lists-train");
        Directory.CreateDirectory(Path.Combine(root, "img"));
        File.WriteAllBytes(Path.Combine(root, "img", "a.jpg"), [1]);
        File.WriteAllBytes(Path.Combine(root, "img", "b.jpg"), [1]);
        File.WriteAllLines(Path.Combine(root, "train.csv"), ["img/a.jpg,person;cat", "img/b.jpg,", "img/gone.jpg,cat"]);
        File.WriteAllLines(Path.Combine(root, "val.jsonl"), ["{\"path\": \"img/a.jpg\", \"labels\": [\"zebra\"]}"]);
        var data = LabelledImages.Open(root);
        Assert.Equal(["cat", "person", "zebra"], data.DiscoverLabels(["train", "val"]));
        Assert.Equal(["cat", "person"], data.DiscoverLabels(["train"]));

        var skipped = new List<string>();
        var samples = data.LoadSplit("train", ["cat", "person"], BadSamplePolicy.Skip, skipped.Add);
        Assert.Equal(["img/a.jpg", "img/b.jpg"], samples.Select(s => s.Id));
        Assert.Equal([true, true], samples[0].Targets);
        Assert.Equal([false, false], samples[1].Targets);
        Assert.Contains("gone.jpg", Assert.Single(skipped));
        var e = Assert.Throws<DatasetException>(() => data.LoadSplit("train", ["cat", "person"]));
        Assert.Contains("gone.jpg", e.Message);
    }

    [Fact]
    public void A_COCO_file_with_no_image_of_the_chosen_labels_or_without_a_model_label_is_one_line()
    {
        var root = Folder("coco-none");
        var file = Coco(root, "val", Categories, "{\"id\": 1, \"file_name\": \"a.jpg\"}", "{\"image_id\": 1, \"category_id\": 25}");
        var data = LabelledImages.Open(root);
        Assert.Equal($"{file} has no image of the chosen labels (cat, dog).", Assert.Throws<DatasetException>(() => data.ListSplit("val", ["cat", "dog"])).Message);
        var missing = Assert.Throws<DatasetException>(() => data.ListSplit("val", ["cat", "sofa"])).Message;
        Assert.StartsWith($"{file}: the model's label 'sofa' is no COCO category here", missing);
        Assert.DoesNotContain('\n', missing);
    }
}
