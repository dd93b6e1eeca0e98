using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>The OpenAPI document and Swagger UI, the latter in a real browser against a real Kestrel port.</summary>
public sealed class SwaggerTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    [Fact]
    public async Task OpenApi_describes_the_upload_as_a_multipart_file_or_a_raw_image_with_every_answer()
    {
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var score = document["paths"]!["/score"]!["post"]!;
        var content = score["requestBody"]!["content"]!.AsObject();
        Assert.Equal(["multipart/form-data", "image/jpeg", "image/png", "image/webp", "image/bmp"], content.Select(c => c.Key));
        Assert.Equal("binary", (string?)content["multipart/form-data"]!["schema"]!["properties"]!["image"]!["format"]);

        var responses = score["responses"]!.AsObject();
        Assert.Equal(["200", "400", "401", "413", "415", "422", "503"], responses.Select(r => r.Key)); // 401 when API keys are configured
        Assert.NotNull(responses["200"]!["content"]!["application/json"]!["example"]!["verdict"]);
        Assert.Equal("/problems/image-dimensions", (string?)responses["422"]!["content"]!["application/problem+json"]!["example"]!["type"]);
        Assert.NotNull(responses["503"]!["headers"]!["Retry-After"]);

        var batch = document["paths"]!["/score/batch"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!["properties"]!["image"]!;
        Assert.Equal("array", (string?)batch["type"]);
        Assert.NotNull(document["paths"]!["/model"]!["get"]);
    }

    [Fact]
    public async Task OpenApi_documents_the_Open_Inference_Protocol_endpoints_and_their_error_object()
    {
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{name}", "/v2/models/{name}/versions/{version}",
                     "/v2/models/{name}/ready", "/v2/models/{name}/versions/{version}/ready" })
            Assert.NotNull(paths[path]?["get"]);
        foreach (var path in new[] { "/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer" })
        {
            var infer = paths[path]!["post"]!;
            var request = infer["requestBody"]!["content"]!.AsObject();
            Assert.Equal(["application/json", "application/octet-stream"], request.Select(c => c.Key));
            var responses = infer["responses"]!.AsObject();
            Assert.Contains("200", responses.Select(r => r.Key));
            foreach (var status in new[] { "400", "401", "404", "413", "503" })
            {
                var error = responses[status]!["content"]!.AsObject();
                Assert.Equal("application/json", Assert.Single(error).Key); // the protocol's { "error": ... }, not problem+json
            }
        }
        var schemas = document["components"]!["schemas"]!.AsObject();
        Assert.Equal(["error"], schemas["InferenceErrorResponse"]!["properties"]!.AsObject().Select(p => p.Key));
        Assert.Contains("model_name", schemas["InferenceResponseDocument"]!["properties"]!.AsObject().Select(p => p.Key));
    }

    [BrowserFact]
    [Trait("Category", "Chromium")]
    public async Task Swagger_UI_scores_an_uploaded_JPEG_in_a_real_browser()
    {
        await using var factory = new ServiceFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        using (var http = new HttpClient { BaseAddress = new Uri(address) }) await ServiceFactory.WaitUntilReadyAsync(http);

        var image = Path.Combine(ExportedModel.Shared.Directory, "swagger-upload.jpg");
        await File.WriteAllBytesAsync(image, TestImages.Jpeg(42, 160, 120));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync(address + "/swagger");
            var operation = page.Locator("#operations-Scoring-Score");
            await operation.Locator(".opblock-summary").ClickAsync();
            await operation.GetByRole(AriaRole.Button, new() { Name = "Try it out" }).ClickAsync();
            await operation.Locator("input[type=file]").SetInputFilesAsync(image);
            await operation.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();

            var body = operation.Locator(".live-responses-table .response-col_description pre").First;
            await Assertions.Expect(body).ToContainTextAsync("\"verdict\"", new() { Timeout = 30_000 });
            var text = await body.InnerTextAsync();
            Assert.Matches("\"verdict\": \"(in|out-of)-distribution\"", text);
            Assert.Contains("\"jointEnergy\"", text);
            await Assertions.Expect(operation.Locator(".live-responses-table .response .response-col_status").First).ToHaveTextAsync("200");
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "swagger-failure.png"), FullPage = true });
            throw;
        }
    }
}

/// <summary>
/// A test that needs Debian's Chromium. Without /usr/bin/chromium it is skipped (and says so) on a
/// developer's machine, but under CI=true a missing browser fails the test instead.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{Chromium} is not installed (apt-get install chromium); under CI=true this test fails instead.";
    }

    /// <summary>Debian's Chromium, headless, as every browser test drives it.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
}
