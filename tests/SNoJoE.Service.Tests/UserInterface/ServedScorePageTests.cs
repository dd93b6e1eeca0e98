using Microsoft.Playwright;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.UserInterface;

/// <summary>The page on a model with a baked served score: the model panel and each card name the score the verdict is based on.</summary>
[Trait("Category", "Chromium")]
public sealed class ServedScorePageTests
{
    [BrowserFact]
    public async Task The_model_panel_and_the_cards_name_the_served_score()
    {
        var model = ServedScoreModel.Shared;
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = model.OnnxPath });
        var address = await UiBrowser.StartOnKestrelAsync(factory);
        var folder = TestScratch.CreateFolder("ui-served");
        var image = Path.Combine(folder, "picture.jpg");
        await File.WriteAllBytesAsync(image, TestImages.Jpeg(21));
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var expected = await (await http.PostRawAsync(await File.ReadAllBytesAsync(image), "image/jpeg")).ReadScoreAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync(address + "/");
            var facts = page.Locator("#model-facts");
            await Assertions.Expect(facts.Locator("[data-field=served-score]")).ToHaveTextAsync(ServedScoreModel.Score);
            await Assertions.Expect(facts.Locator("[data-field=served-score-details]")).ToContainTextAsync(model.Manifest.Score.Description!);

            await UiBrowser.ChooseAsync(page, image);
            var card = UiBrowser.Card(page, "picture.jpg");
            await Assertions.Expect(card.Locator(".verdict-text")).ToHaveTextAsync(expected.Verdict, new() { Timeout = 60_000 });
            var energy = double.Parse(expected.Score.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
            await Assertions.Expect(card.Locator(".verdict-why")).ToContainTextAsync($"score {ServedScoreModel.Score} {energy:F2}");
            await Assertions.Expect(card.Locator(".energy-text")).ToContainTextAsync($"Score {ServedScoreModel.Score} {energy:F2}");
        }
        catch
        {
            await UiBrowser.SaveFailureAsync(page, "served-score-page");
            throw;
        }
    }
}
