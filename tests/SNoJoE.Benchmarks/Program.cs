using SNoJoE.Benchmarks.Cli;

return await BenchmarkCommand.InvokeAsync(args);
