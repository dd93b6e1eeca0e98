using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.BundledModel;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.UserInterface;

/// <summary>The page at GET / as HTTP answers: what it ships, and that it shadows nothing.</summary>
public sealed partial class UserInterfaceHttpTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    [Fact]
    public async Task The_page_and_its_files_are_served_with_relative_urls_and_a_strict_content_security_policy()
    {
        using var page = await service.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("connect-src 'self'", csp);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"ui/app.js\"", html);
        Assert.Contains("<link rel=\"stylesheet\" href=\"ui/app.css\"", html);
        // Behind the gateway the page is /snojoe/: a root-relative or external URL would leave the prefix.
        Assert.DoesNotMatch(AbsoluteUrlInHtml(), html);

        using var script = await service.Client.GetAsync("/ui/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        var js = await script.Content.ReadAsStringAsync();
        Assert.Contains("fetch('model'", js);
        Assert.Contains("'score/batch'", js);
        Assert.DoesNotMatch(AbsoluteUrlInScript(), js);

        using var style = await service.Client.GetAsync("/ui/app.css");
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);
        Assert.Contains("@media (max-width: 600px)", await style.Content.ReadAsStringAsync());

        // Revalidation: the ETag answers 304.
        using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/app.js");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var notModified = await service.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task The_page_shadows_no_api_route_and_unknown_paths_stay_problems()
    {
        using var model = await service.Client.GetAsync("/model");
        Assert.Equal("application/json", model.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(await model.Content.ReadAsStringAsync())!["score"]!["threshold"]);

        var problemType = JsonNode.Parse(await service.Client.GetStringAsync("/problems/no-image"))!;
        Assert.Equal(ProblemTypes.NoImage.Title, (string?)problemType["title"]);

        using var swagger = await service.Client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;
        Assert.Null(document["paths"]!["/"]); // the page is not part of the API description
        Assert.Null(document["paths"]!["/ui/app.js"]);

        foreach (var path in new[] { "/ui/", "/ui/missing.js", "/index.html", "/wwwroot/index.html", "/screenshot.png" })
        {
            using var response = await service.Client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task With_Ui_Enabled_false_the_page_is_a_404_problem_like_any_unknown_route()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Ui:Enabled"] = "false" });
        using var client = await factory.CreateReadyClientAsync();
        foreach (var path in new[] { "/", "/ui/app.js", "/ui/app.css" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(404, (int?)problem["status"]);
        }
        using var model = await client.GetAsync("/model");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
    }

    [Fact]
    public async Task A_Ui_Enabled_that_is_not_a_boolean_stops_the_service_at_start()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Ui:Enabled"] = "sometimes" });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Ui", error.ToString());
    }

    [Fact]
    public async Task The_real_process_with_a_bad_Ui_Enabled_exits_1_with_one_fatal_line()
    {
        var run = await TestService.RunToExitAsync($"--Model:Path={ExportedModel.Shared.OnnxPath}", "--Ui:Enabled=sometimes");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Ui", run.OneFatalMessage());
    }

    // src="/x", href="/x", href="//host", or any http(s) URL: only relative URLs are allowed.
    [GeneratedRegex(@"(src|href|action)\s*=\s*""(/|https?:)", RegexOptions.IgnoreCase)]
    private static partial Regex AbsoluteUrlInHtml();

    // fetch('/score'), fetch("http://..."), a URL string starting with '/': the script must only use relative URLs.
    [GeneratedRegex(@"fetch\(\s*['""`](/|https?:)|['""`]/(score|model|health|problems)")]
    private static partial Regex AbsoluteUrlInScript();
}

/// <summary>
/// The page in Debian's Chromium, on the bundled model: a VOCSynth scene and a GIMP texture are
/// scored through the page and the page says what the API says for the same files.
/// </summary>
[Trait("Category", "Chromium")]
public sealed class UserInterfaceBrowserTests
{
    [BrowserFact]
    public async Task A_scene_and_a_texture_dropped_on_the_page_show_the_api_verdicts_labels_and_energy()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = BundledModelServiceFixture.ModelPath });
        var address = await UiBrowser.StartOnKestrelAsync(factory);
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var scene = await (await http.PostRawAsync(await File.ReadAllBytesAsync(UiBrowser.Scene), "image/jpeg")).ReadScoreAsync();
        var texture = await (await http.PostRawAsync(await File.ReadAllBytesAsync(UiBrowser.Texture), "image/jpeg")).ReadScoreAsync();
        // What the bundled model is known to answer (BundledModelTests): the page is checked against these.
        Assert.Equal("in-distribution", scene.Verdict);
        Assert.Equal("out-of-distribution", texture.Verdict);
        var modelJson = JsonNode.Parse(await http.GetStringAsync("/model"))!;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } });
        var posts = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST") lock (posts) posts.Add(new Uri(request.Url).AbsolutePath);
        };
        var scriptErrors = new List<string>();
        page.PageError += (_, error) =>
        {
            lock (scriptErrors) scriptErrors.Add(error);
        };
        try
        {
            await page.GotoAsync(address + "/");
            await Assertions.Expect(page).ToHaveTitleAsync("SNoJoE: score an image");

            // The model panel.
            var facts = page.Locator("#model-facts");
            await Assertions.Expect(facts.Locator("[data-field=name]")).ToHaveTextAsync("snojoe-resnet18-vocsynth");
            await Assertions.Expect(facts.Locator("[data-field=version]"))
                .ToHaveTextAsync("snojoe-resnet18-vocsynth@" + ((string)modelJson["sha256"]!)[..12]); // the service's /model version
            await Assertions.Expect(facts.Locator("[data-field=spectral-norm]")).ToHaveTextAsync("conv");
            await Assertions.Expect(facts.Locator("[data-field=served-score]")).ToHaveTextAsync("react-hidden:p95"); // the bundled model's baked score
            await Assertions.Expect(facts.Locator("[data-field=threshold]")).ToContainTextAsync(((double)modelJson["score"]!["threshold"]!).ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
            await Assertions.Expect(facts.Locator("[data-field=provider]")).ToContainTextAsync("CPU");
            // The bundled model says what it is: a demo of composed emoji scenes, not a model for photographs.
            await Assertions.Expect(page.Locator("#model [data-field=demo-note]")).ToContainTextAsync("composed emoji scenes");
            await Assertions.Expect(facts.Locator("[data-field=labels]")).ToContainTextAsync("aeroplane, bicycle");
            await Assertions.Expect(facts.Locator("[data-field=labels]")).ToContainTextAsync("tvmonitor");

            // Two images at once: one /score/batch request, answers in the cards of their files.
            await UiBrowser.ChooseAsync(page, UiBrowser.Scene, UiBrowser.Texture);
            await UiBrowser.AssertShowsAsync(page, "test_000007.jpg", scene);
            await UiBrowser.AssertShowsAsync(page, "texture_000001.jpg", texture);
            await Assertions.Expect(UiBrowser.Card(page, "test_000007.jpg").Locator(".verdict-text")).ToHaveTextAsync("in-distribution");
            await Assertions.Expect(UiBrowser.Card(page, "texture_000001.jpg").Locator(".verdict-text")).ToHaveTextAsync("out-of-distribution");
            await Assertions.Expect(UiBrowser.Card(page, "texture_000001.jpg").Locator(".energy-text")).ToContainTextAsync("calibration images");
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Scored 2 of 2 images.");
            lock (posts) Assert.Equal(["/score/batch"], posts);
            await page.ScreenshotAsync(new() { Path = UiBrowser.ScreenshotPath(), FullPage = true });

            // One file that is not an image: one /score request, its problem's title and detail in its card.
            var notAnImage = await UiBrowser.NotAnImageAsync();
            await UiBrowser.ChooseAsync(page, notAnImage);
            await UiBrowser.AssertProblemAsync(page, "not-an-image.jpg", ProblemTypes.UndecodableImage.Title);
            await Assertions.Expect(UiBrowser.Card(page, "not-an-image.jpg").Locator(".problem-status")).ToHaveTextAsync("HTTP status 400");
            lock (posts) Assert.Equal(["/score/batch", "/score"], posts);
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Scored 0 of 1 image; 1 failed.");

            // Phone width: nothing wider than the screen.
            await page.SetViewportSizeAsync(390, 844);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"the page is {overflow} px wider than a 390 px screen");
            lock (scriptErrors) Assert.Empty(scriptErrors); // no uncaught exception in the page's script
        }
        catch
        {
            await UiBrowser.SaveFailureAsync(page, "ui-bundled");
            throw;
        }
    }

    [BrowserFact]
    public async Task Above_the_deployments_batch_limit_the_page_scores_the_images_one_by_one()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Limits:MaxBatchImages"] = "1" });
        var address = await UiBrowser.StartOnKestrelAsync(factory);
        var folder = TestScratch.CreateFolder("ui-limit");
        var files = new[] { ("first.jpg", TestImages.Jpeg(11)), ("second.png", TestImages.Png(12)) };
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var expected = new List<SNoJoE.Service.Endpoints.ScoreResponse>();
        foreach (var (name, bytes) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes);
            expected.Add(await (await http.PostImagesAsync("/score", (bytes, name))).ReadScoreAsync());
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        var posts = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST") lock (posts) posts.Add(new Uri(request.Url).AbsolutePath);
        };
        try
        {
            await page.GotoAsync(address + "/");
            await UiBrowser.ChooseAsync(page, files.Select(f => Path.Combine(folder, f.Item1)).ToArray());
            for (var i = 0; i < files.Length; i++)
            {
                var card = UiBrowser.Card(page, files[i].Item1);
                await Assertions.Expect(card.Locator(".verdict-text")).ToHaveTextAsync(expected[i].Verdict, new() { Timeout = 60_000 });
                await Assertions.Expect(card.Locator(".top-label")).ToHaveTextAsync(expected[i].Scores.MaxBy(s => s.Probability)!.Label);
            }
            // The batch was refused (400 invalid-request: more than Limits:MaxBatchImages), then each image went alone.
            lock (posts) Assert.Equal(["/score/batch", "/score", "/score"], posts);
        }
        catch
        {
            await UiBrowser.SaveFailureAsync(page, "ui-limit");
            throw;
        }
    }

    [BrowserFact]
    public async Task With_api_keys_the_key_field_makes_scoring_work_and_a_wrong_key_shows_the_401_problem()
    {
        const string key = "ui-test-key-0123456789abcdef";
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Security:ApiKeys:0"] = key });
        var address = await UiBrowser.StartOnKestrelAsync(factory);
        var image = Path.Combine(TestScratch.CreateFolder("ui-keys"), "keyed.jpg");
        await File.WriteAllBytesAsync(image, TestImages.Jpeg(7, 96, 80));
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Add("X-API-Key", key);
        var expected = await (await http.PostRawAsync(await File.ReadAllBytesAsync(image), "image/jpeg")).ReadScoreAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync(address + "/");
            // No key: the page itself is public, the model panel says why it is empty.
            await Assertions.Expect(page.Locator("#model .problem-title")).ToContainTextAsync(ProblemTypes.Unauthorized.Title);

            var keyField = page.GetByLabel("API key (sent as X-API-Key; kept only in this tab's session storage)");
            // Keyboard: from the key field, Tab passes the two buttons and reaches the drop zone's file input.
            await keyField.FocusAsync();
            for (var i = 0; i < 3; i++) await page.Keyboard.PressAsync("Tab");
            Assert.Equal("files", await page.EvaluateAsync<string>("() => document.activeElement.id"));

            await keyField.FillAsync("a-wrong-key-0000000000000");
            await page.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
            await UiBrowser.ChooseAsync(page, image);
            await UiBrowser.AssertProblemAsync(page, "keyed.jpg", ProblemTypes.Unauthorized.Title);
            await Assertions.Expect(UiBrowser.Card(page, "keyed.jpg").Locator(".problem-status")).ToHaveTextAsync("HTTP status 401");
            await Assertions.Expect(page.Locator("#model .problem-title")).ToContainTextAsync(ProblemTypes.Unauthorized.Title);

            await keyField.FillAsync(key);
            await keyField.PressAsync("Enter"); // the form submits from the keyboard
            await Assertions.Expect(page.Locator("#model-facts [data-field=name]")).ToHaveTextAsync(ExportedModel.Shared.Manifest.Name);
            await Assertions.Expect(page.Locator("#model [data-field=demo-note]")).ToHaveCountAsync(0); // not trained on VOCSynth
            await UiBrowser.ChooseAsync(page, image);
            await Assertions.Expect(UiBrowser.Card(page, "keyed.jpg")).ToHaveCountAsync(2);
            var card = UiBrowser.Card(page, "keyed.jpg").First; // the newest card is on top
            await Assertions.Expect(card.Locator(".verdict-text")).ToHaveTextAsync(expected.Verdict, new() { Timeout = 60_000 });
            await Assertions.Expect(card.Locator(".top-label")).ToHaveTextAsync(expected.Scores.MaxBy(s => s.Probability)!.Label);

            // The key lives in this tab's session storage at most, never in local storage or a cookie.
            Assert.Equal(key, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('snojoe.apiKey')"));
            Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
            Assert.Empty(await page.Context.CookiesAsync());
        }
        catch
        {
            await UiBrowser.SaveFailureAsync(page, "ui-keys");
            throw;
        }
    }
}
