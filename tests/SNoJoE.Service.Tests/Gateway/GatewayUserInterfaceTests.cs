using Microsoft.Playwright;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;
using SNoJoE.Service.Tests.UserInterface;

namespace SNoJoE.Service.Tests.Gateway;

/// <summary>The page for people behind the gateway: everything it loads and posts stays under /snojoe/.</summary>
public sealed partial class GatewayTests
{
    [NginxBrowserFact]
    [Trait("Category", "Chromium")]
    public async Task The_page_through_the_gateway_scores_images_under_the_prefix()
    {
        // The API's answers through the gateway, from another client address than the browser's.
        using var http = fixture.ClientFrom("127.0.0.10");
        var scene = await (await http.PostRawAsync(await File.ReadAllBytesAsync(UiBrowser.Scene), "image/jpeg", "snojoe/score")).ReadScoreAsync();
        var texture = await (await http.PostRawAsync(await File.ReadAllBytesAsync(UiBrowser.Texture), "image/jpeg", "snojoe/score")).ReadScoreAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        var paths = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith("http", StringComparison.Ordinal)) // not the thumbnails' blob: URLs
                lock (paths) paths.Add($"{request.Method} {new Uri(request.Url).AbsolutePath}");
        };
        try
        {
            // The bare prefix redirects to /snojoe/, where the page's relative URLs resolve under the prefix.
            await page.GotoAsync(new Uri(fixture.Gateway.Address, "snojoe").ToString());
            Assert.Equal(new Uri(fixture.Gateway.Address, "snojoe/").ToString(), page.Url);
            await Assertions.Expect(page.Locator("#model-facts [data-field=name]")).ToHaveTextAsync(ExportedModel.Shared.Manifest.Name);

            await UiBrowser.ChooseAsync(page, UiBrowser.Scene, UiBrowser.Texture);
            await UiBrowser.AssertShowsAsync(page, "test_000007.jpg", scene);
            await UiBrowser.AssertShowsAsync(page, "texture_000001.jpg", texture);

            var notAnImage = await UiBrowser.NotAnImageAsync();
            await UiBrowser.ChooseAsync(page, notAnImage);
            await UiBrowser.AssertProblemAsync(page, "not-an-image.jpg", ProblemTypes.UndecodableImage.Title);

            lock (paths)
            {
                Assert.Contains("POST /snojoe/score/batch", paths);
                Assert.Contains("POST /snojoe/score", paths);
                Assert.Contains("GET /snojoe/ui/app.js", paths);
                Assert.Contains("GET /snojoe/model", paths);
                Assert.All(paths.Where(p => !p.EndsWith("/favicon.ico")), p => Assert.Contains(" /snojoe", p));
            }
        }
        catch
        {
            await UiBrowser.SaveFailureAsync(page, "gateway-ui");
            throw;
        }
    }
}
