using System.CommandLine;
using Lineage.Cli;
using Lineage.Cli.Commands;

// lineage: representation learning from one-hot vectors to FlashAttention, each claim checked on real data.
// Thin layer: parse → options record → library call → render with Spectre.Console.
var root = new RootCommand("Lineage: representation-learning models from one-hot vectors to FlashAttention, each trained on real data with its claims checked.");
foreach (var option in GlobalOptions.All) root.Options.Add(option);
root.Subcommands.Add(TourCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(EncodeCommand.Create());
root.Subcommands.Add(Word2VecCommand.Create());
root.Subcommands.Add(GloveCommand.Create());
root.Subcommands.Add(VectorsCommand.Create());
foreach (var command in SequenceCommand.CreateAll()) root.Subcommands.Add(command);
root.Subcommands.Add(GptCommand.Create());
root.Subcommands.Add(EncoderDecoderCommands.Encoder("bert"));
root.Subcommands.Add(EncoderDecoderCommands.Encoder("roberta"));
root.Subcommands.Add(EncoderDecoderCommands.T5());
root.Subcommands.Add(AttentionCommand.Create());
root.Subcommands.Add(LongContextCommand.Create());
foreach (var command in VisionCommand.CreateAll()) root.Subcommands.Add(command);
root.Subcommands.Add(VlaCommand.Create());
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) };
return await root.Parse(args).InvokeAsync(configuration);
