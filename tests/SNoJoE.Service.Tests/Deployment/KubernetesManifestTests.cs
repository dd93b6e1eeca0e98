using System.Net;
using System.Text.Json.Nodes;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>docker/k8s/ parsed and checked against the Dockerfile, the compose file and the running service.</summary>
public sealed class KubernetesManifestTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    private static readonly IReadOnlyDictionary<string, JsonNode> Manifests = Directory
        .GetFiles(RepositoryFiles.PathOf("docker/k8s"), "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .SelectMany(YamlFiles.LoadAll)
        .ToDictionary(m => (string)m["kind"]!);

    private static JsonNode Deployment => Manifests["Deployment"];
    private static JsonNode Container => Assert.Single(Deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!;

    [Fact]
    public void The_kustomization_lists_every_manifest_and_each_has_the_expected_kind()
    {
        var kustomization = YamlFiles.Load(RepositoryFiles.PathOf("docker/k8s/kustomization.yaml"));
        var listed = kustomization["resources"]!.AsArray().Select(r => (string)r!).Order();
        var files = Directory.GetFiles(RepositoryFiles.PathOf("docker/k8s"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order();
        Assert.Equal(files, listed);
        Assert.Equal(["Deployment", "HorizontalPodAutoscaler", "Ingress", "PodDisruptionBudget", "Service"], Manifests.Keys.Order());
    }

    [Fact]
    public void The_container_matches_the_GPU_image_port_user_and_writable_folder()
    {
        var compose = YamlFiles.Load(RepositoryFiles.PathOf("docker/compose.yaml"));
        Assert.Equal("runtime-gpu", (string?)compose["services"]!["snojoe-gpu"]!["build"]!["target"]);
        Assert.Equal((string?)compose["services"]!["snojoe-gpu"]!["image"], (string?)Container["image"]);

        var port = Assert.Single(Container["ports"]!.AsArray())!;
        Assert.Equal(DockerfileTests.Port, (string?)port["containerPort"]);
        var pod = Deployment["spec"]!["template"]!["spec"]!;
        Assert.Equal(DockerfileTests.User, (string?)pod["securityContext"]!["runAsUser"]);
        Assert.Equal("true", (string?)pod["securityContext"]!["runAsNonRoot"]);
        Assert.Equal("true", (string?)Container["securityContext"]!["readOnlyRootFilesystem"]);
        var tmp = Assert.Single(Container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == DockerfileTests.TempFolder)!;
        Assert.NotNull(Assert.Single(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)tmp["name"])!["emptyDir"]);
        Assert.Equal("1", (string?)Container["resources"]!["limits"]!["nvidia.com/gpu"]);
    }

    [Fact]
    public async Task The_probes_use_the_container_port_and_health_endpoints_that_answer_200_on_a_ready_service()
    {
        var portName = (string)Container["ports"]![0]!["name"]!;
        var expected = new Dictionary<string, string>
        {
            ["startupProbe"] = "/health/ready", ["readinessProbe"] = "/health/ready", ["livenessProbe"] = "/health/live",
        };
        foreach (var (probe, path) in expected)
        {
            var get = Container[probe]!["httpGet"]!;
            Assert.Equal(path, (string?)get["path"]);
            Assert.Equal(portName, (string?)get["port"]);
            using var response = await service.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // The startup probe allows as long as the image's HEALTHCHECK start period, or longer.
        var startup = Container["startupProbe"]!;
        Assert.True(int.Parse((string)startup["periodSeconds"]!) * int.Parse((string)startup["failureThreshold"]!) >= 120);
    }

    [Fact]
    public void Service_budget_autoscaler_and_ingress_select_the_deployments_pods()
    {
        var podLabels = Deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        bool Selects(JsonNode selector) => selector.AsObject().All(l => podLabels.Any(p => p.Key == l.Key && (string?)p.Value == (string?)l.Value));
        var name = (string)Deployment["metadata"]!["name"]!;

        Assert.True(Selects(Deployment["spec"]!["selector"]!["matchLabels"]!));
        Assert.True(Selects(Manifests["Service"]["spec"]!["selector"]!));
        Assert.Equal((string?)Container["ports"]![0]!["name"], (string?)Manifests["Service"]["spec"]!["ports"]![0]!["targetPort"]);
        Assert.True(Selects(Manifests["PodDisruptionBudget"]["spec"]!["selector"]!["matchLabels"]!));
        Assert.Equal(name, (string?)Manifests["HorizontalPodAutoscaler"]["spec"]!["scaleTargetRef"]!["name"]);
        Assert.Equal("Deployment", (string?)Manifests["HorizontalPodAutoscaler"]["spec"]!["scaleTargetRef"]!["kind"]);
        Assert.True(int.Parse((string)Manifests["HorizontalPodAutoscaler"]["spec"]!["minReplicas"]!) >= 2); // the budget keeps one up
        var backend = Manifests["Ingress"]["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!;
        Assert.Equal((string?)Manifests["Service"]["metadata"]!["name"], (string?)backend["name"]);
        Assert.Equal("/snojoe", (string?)Manifests["Ingress"]["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/x-forwarded-prefix"]);
        Assert.Contains(Container["env"]!.AsArray(), e => ((string)e!["name"]!).StartsWith("Forwarding__Known"));
    }
}
