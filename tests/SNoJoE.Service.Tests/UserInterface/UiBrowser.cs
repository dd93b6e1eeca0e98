using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.BundledModel;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.UserInterface;

/// <summary>Drives the page at GET / in Debian's Chromium, the way a person would.</summary>
public static class UiBrowser
{
    public static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");
    public static string Scene => Path.Combine(Images, "id", "test_000007.jpg");
    public static string Texture => Path.Combine(Images, "ood-textures", "texture_000001.jpg");

    /// <summary>Starts the service on a real Kestrel port and waits until it is ready; returns its root address (no trailing slash).</summary>
    public static async Task<string> StartOnKestrelAsync(ServiceFactory factory)
    {
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        await ServiceFactory.WaitUntilReadyAsync(http);
        return address;
    }

    /// <summary>The card of one uploaded file.</summary>
    public static ILocator Card(IPage page, string fileName) => page.Locator($"article[data-file=\"{fileName}\"]");

    /// <summary>Chooses files with the drop zone's file input, found by its label as assistive technology finds it.</summary>
    public static Task ChooseAsync(IPage page, params string[] files) =>
        page.GetByLabel("Choose images, or drop them here").SetInputFilesAsync(files);

    /// <summary>Waits until the card shows a reading, then checks it against the API's answer for the same file.</summary>
    public static async Task AssertShowsAsync(IPage page, string fileName, ScoreResponse expected)
    {
        var card = Card(page, fileName);
        await Assertions.Expect(card.Locator(".verdict-text")).ToHaveTextAsync(expected.Verdict, new() { Timeout = 60_000 });
        var top = expected.Scores.MaxBy(s => s.Probability)!;
        await Assertions.Expect(card.Locator(".top-label")).ToHaveTextAsync(top.Label);
        await Assertions.Expect(card.Locator(".present-labels"))
            .ToHaveTextAsync(expected.Labels.Count == 0 ? "none" : string.Join(", ", expected.Labels.Select(l => l.Label)));
        // Every label has a bar, with its threshold marked, and the energy is placed on the calibration strip.
        await Assertions.Expect(card.Locator(".bar-row")).ToHaveCountAsync(expected.Scores.Count);
        await Assertions.Expect(card.Locator(".bar-threshold")).ToHaveCountAsync(expected.Scores.Count);
        var energyName = expected.Score.Name == "joint-energy" ? "Joint energy" : $"Score {expected.Score.Name}";
        await Assertions.Expect(card.Locator(".energy-text")).ToContainTextAsync($"{energyName} {AsJavaScript(expected.Score.Value):F2}");
        await Assertions.Expect(card.Locator(".verdict-why")).ToContainTextAsync($"threshold {expected.Score.Threshold:F2}");
    }

    /// <summary>The float as the page holds it: the JSON number (shortest round-trip text) read as a double.</summary>
    private static double AsJavaScript(float value) => double.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits until the card shows a problem, and checks its title and detail.</summary>
    public static async Task AssertProblemAsync(IPage page, string fileName, string title, string? detail = null)
    {
        var card = Card(page, fileName);
        await Assertions.Expect(card.Locator(".problem-title")).ToContainTextAsync(title, new() { Timeout = 60_000 });
        if (detail is not null) await Assertions.Expect(card.Locator(".problem-detail")).ToHaveTextAsync(detail);
        await Assertions.Expect(card.Locator(".verdict-text")).ToHaveCountAsync(0);
    }

    /// <summary>A file that is not an image, with an image's name.</summary>
    public static async Task<string> NotAnImageAsync(string name = "not-an-image.jpg")
    {
        var path = Path.Combine(TestScratch.CreateFolder("ui"), name);
        await File.WriteAllTextAsync(path, "These bytes are text, not a JPEG.");
        return path;
    }

    /// <summary>On failure, a full-page screenshot beside the test output, for the CI artefacts.</summary>
    public static async Task SaveFailureAsync(IPage page, string name)
    {
        try
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, $"{name}-failure.png"), FullPage = true });
        }
        catch (PlaywrightException)
        {
        }
    }

    /// <summary>
    /// Where the README's screenshot goes: the committed file when SNOJOE_UPDATE_SCREENSHOT=1,
    /// otherwise a scratch folder, so that a test run never changes the working tree.
    /// </summary>
    public static string ScreenshotPath() =>
        Environment.GetEnvironmentVariable("SNOJOE_UPDATE_SCREENSHOT") == "1"
            ? Path.Combine(BundledModelServiceFixture.RepositoryRoot, "src", "SNoJoE.Service", "wwwroot", "screenshot.png")
            : Path.Combine(TestScratch.CreateFolder("ui-screenshot"), "screenshot.png");
}
