namespace SNoJoE.Service.Tests.Gateway;

/// <summary>
/// A test that needs Debian's nginx (package nginx-light). Without it the test is skipped, and says
/// so, on a developer's machine; under CI=true a missing nginx fails the test instead.
/// </summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (NginxGateway.Executable is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "nginx is not installed (apt-get install nginx-light); under CI=true this test fails instead.";
    }
}

/// <summary>A gateway test that also drives Debian's Chromium.</summary>
public sealed class NginxBrowserFactAttribute : FactAttribute
{
    public NginxBrowserFactAttribute()
    {
        if ((NginxGateway.Executable is null || !File.Exists(BrowserFactAttribute.Chromium)) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "nginx or chromium is not installed (apt-get install nginx-light chromium); under CI=true this test fails instead.";
    }
}
