using System.CommandLine;
using Lineage.Cli;

// lineage: representation learning from one-hot vectors to FlashAttention, each claim checked on real data.
// Thin layer: parse → options record → library call → render with Spectre.Console.
// The commands are found by reflection (every [CliCommand] class; see CliCommands), in their Order.
var root = new RootCommand("Lineage: representation-learning models from one-hot vectors to FlashAttention, each trained on real data with its claims checked.");
foreach (var option in GlobalOptions.All) root.Options.Add(option);
foreach (var command in CliCommands.Discover()) root.Subcommands.Add(command);
// One error boundary (CliErrors): a command's exception becomes one line and an exit code, never a stack trace.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15), EnableDefaultExceptionHandler = false };
try
{
    return await root.Parse(args).InvokeAsync(configuration);
}
catch (Exception e)
{
    return CliErrors.Report(e, debug: args.Contains("--debug"));
}
