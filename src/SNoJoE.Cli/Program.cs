using SNoJoE.Cli;

return await CliRoot.Build().Parse(args).InvokeAsync();
