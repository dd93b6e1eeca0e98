using System.Xml.Linq;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>The licence file, the package metadata that names it, and the account of what it does not cover (README's Licences section, docs/licences.md).</summary>
public sealed class LicenseTests
{
    [Fact]
    public void The_code_is_MIT_in_the_licence_file_and_the_package_metadata_and_the_model_is_excluded()
    {
        var license = RepositoryFiles.Read("LICENSE");
        Assert.StartsWith("MIT License", license);
        Assert.Contains("models/snojoe-resnet18-vocsynth.onnx", license); // named as not covered

        var props = XDocument.Parse(RepositoryFiles.Read("Directory.Build.props"));
        Assert.Equal("MIT", props.Descendants("PackageLicenseExpression").Single().Value);

        var readme = RepositoryFiles.Read("README.md");
        var licences = readme[readme.IndexOf("## Licences", StringComparison.Ordinal)..];
        foreach (var named in new[] { "GPL-3+", "GPL-2+", "Apache-2.0", "tests/SNoJoE.Service.Tests/BundledModel/Images/", "[LICENSE](LICENSE)" })
            Assert.Contains(named, licences);

        // the full account moved to docs/licences.md: the notices a binary distribution must carry stay stated there
        var notices = RepositoryFiles.Read("docs/licences.md");
        foreach (var named in new[] { "GPL-3+", "GPL-2+", "Apache-2.0", "tests/SNoJoE.Service.Tests/BundledModel/Images/", "[LICENSE](../LICENSE)",
                     "Independent JPEG Group", "THIRD-PARTY-NOTICES.txt", "CC BY-SA 4.0", "assets/NOTICE" })
            Assert.Contains(named, notices);
        Assert.True(File.Exists(RepositoryFiles.PathOf("CONTRIBUTING.md")));
        Assert.Contains("dotnet run --project src/SNoJoE.Cli --", RepositoryFiles.Read("CONTRIBUTING.md"));
    }
}
