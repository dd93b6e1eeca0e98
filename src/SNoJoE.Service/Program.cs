using SNoJoE.Service;
using SNoJoE.Service.Deployment;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Forwarding;
using SNoJoE.Service.Health;
using SNoJoE.Service.Models;
using SNoJoE.Service.Logging;
using SNoJoE.Service.Memory;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.OpenApi;
using SNoJoE.Service.OpenInference;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Security;
using SNoJoE.Service.Telemetry;
using SNoJoE.Service.UserInterface;

if (HealthProbe.IsRequested(args)) return await HealthProbe.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddServiceLogging();
builder.Services.AddServiceOptions(builder.Configuration);
builder.Services.AddServiceMemory();
builder.Services.AddServiceForwarding(builder.Configuration);
builder.Services.AddServiceMetrics();
builder.Services.AddServiceTracing(builder.Configuration);
builder.Services.AddInference();
builder.Services.AddServiceHealthChecks();
builder.Services.AddServiceProblemDetails();
builder.Services.AddRequestOutcomes();
builder.Services.AddServiceOpenApi();
builder.Services.AddServiceSecurity(builder.Configuration);

var app = builder.Build();

app.UseServiceForwarding();
app.UseServiceRequestLogging();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseServiceHttpMetrics();
app.UseAuthentication();
app.UseAuthorization();

app.MapScoringApi();
app.MapModelApi();
app.MapAdminApi();
app.MapOpenInferenceApi();
app.MapServiceHealthChecks();
app.MapServiceMetrics();
app.MapProblemTypes();
app.UseServiceOpenApi();
app.MapUserInterface();

return await app.RunServiceAsync();
