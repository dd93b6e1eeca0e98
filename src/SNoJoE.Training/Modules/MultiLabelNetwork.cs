using SNoJoE.Training.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace SNoJoE.Training.Modules;

/// <summary>Imported backbone + classifier head: one sigmoid per label.</summary>
public sealed class MultiLabelNetwork : nn.Module<Tensor, Tensor>
{
    private readonly ImportedBackbone backbone;
    private readonly ClassifierHead head;

    public MultiLabelNetwork(ImportedBackbone backbone, int imageSize, int headWidth, int labelCount, int seed) : base("snojoe")
    {
        this.backbone = backbone;
        ImageSize = imageSize;
        LabelCount = labelCount;
        HeadWidth = headWidth;
        // probe at the training size: gives the feature width and sizes soft-SN vectors to the real input shape
        using (no_grad())
        {
            backbone.eval();
            try
            {
                using var features = backbone.forward(zeros(1, 3, imageSize, imageSize));
                FeatureCount = (int)features.shape[1];
            }
            catch (System.Runtime.InteropServices.ExternalException e)
            {
                throw new ArgumentException($"The backbone {backbone.SourceName} cannot take {imageSize}x{imageSize} images " +
                    $"(it was exported for {backbone.ImportWidth}x{backbone.ImportHeight}): {e.Message.Split('\n')[0]}", e);
            }
        }
        torch.manual_seed(seed);
        head = new ClassifierHead(FeatureCount, headWidth, labelCount);
        register_module("backbone", backbone);
        register_module("head", head);
    }

    public ImportedBackbone Backbone => backbone;
    public ClassifierHead Head => head;
    public int ImageSize { get; }
    public int LabelCount { get; }
    public int HeadWidth { get; }
    public int FeatureCount { get; }

    public override Tensor forward(Tensor image) => head.forward(backbone.forward(image));

    public (Tensor Logits, Tensor Features) ForwardWithFeatures(Tensor image)
    {
        var features = backbone.forward(image);
        return (head.forward(features), features);
    }
}
