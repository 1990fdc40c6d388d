using System.CommandLine;
using Lineage.Neural.Onnx;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage export onnx DIR [--out model.onnx]</c>: a model folder (GPT, BERT/RoBERTa, ViT, CLIP/SigLIP) as one ONNX file
/// (opset 17, batch and sequence axes dynamic) that ONNX Runtime or ML.NET runs without Lineage.
/// </summary>
[CliCommand(140)]
internal static class ExportCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("DIR") { Description = "Model folder (config.json + model.safetensors) written by Lineage." };
        var onnx = new Command("onnx", $"Write the model as ONNX (opset {OnnxGraph.Opset}, dynamic batch and sequence axes) to --out (default: DIR/model.onnx). Model types: {string.Join(", ", OnnxExport.Supported.Keys)}.") { folder };
        onnx.SetAction(parse => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse);
            var dir = parse.GetValue(folder)!;
            var output = parse.GetResult(GlobalOptions.Out) is { Implicit: false } ? parse.GetValue(GlobalOptions.Out)! : Path.Combine(dir, "model.onnx");
            OnnxExportReport report;
            try
            {
                report = OnnxExport.Export(dir, output);
            }
            catch (NotSupportedException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            AnsiConsole.MarkupLine("{0} ({1}) → {2}: {3:N0} nodes, {4:N0} bytes, opset {5}", Markup.Escape(dir), Markup.Escape(report.ModelType), Markup.Escape(report.Path), report.Nodes, report.Bytes, OnnxGraph.Opset);
            foreach (var input in report.Inputs) AnsiConsole.MarkupLine("  input  {0}", Markup.Escape(input));
            foreach (var o in report.Outputs) AnsiConsole.MarkupLine("  output {0}", Markup.Escape(o));
            return 0;
        }));
        return new Command("export", "Export a model folder for deployment (ONNX).") { onnx };
    }
}
