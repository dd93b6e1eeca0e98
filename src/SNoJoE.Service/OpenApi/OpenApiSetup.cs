using Microsoft.OpenApi;

namespace SNoJoE.Service.OpenApi;

public static class OpenApiSetup
{
    public static IServiceCollection AddServiceOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "SNoJoE inference service",
                Version = "v1",
                Description = "Multi-label image scoring with an out-of-distribution verdict: JointEnergy (sum of softplus of the logits) "
                    + "of a network fine-tuned with spectral normalization, against a calibrated threshold.",
            });
            options.OperationFilter<ImageUploadOperationFilter>();
            options.SupportNonNullableReferenceTypes();
            var xml = Path.Combine(AppContext.BaseDirectory, typeof(OpenApiSetup).Assembly.GetName().Name + ".xml");
            if (File.Exists(xml)) options.IncludeXmlComments(xml);
        });
        return services;
    }

    /// <summary>
    /// The OpenAPI document at /swagger/v1/swagger.json and Swagger UI at /swagger. Behind a gateway
    /// that forwards a prefix (X-Forwarded-Prefix, see Forwarding) both live under it, and the
    /// document's server URL is the gateway's, so "Try it out" goes through the gateway.
    /// </summary>
    public static WebApplication UseServiceOpenApi(this WebApplication app)
    {
        app.UseSwagger(options => options.PreSerializeFilters.Add((document, request) =>
            document.Servers = [new OpenApiServer { Url = $"{request.Scheme}://{request.Host}{request.PathBase}" }]));
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("v1/swagger.json", "SNoJoE v1"); // relative to the UI page, so it survives a path prefix
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "SNoJoE inference service";
        });
        return app;
    }
}
