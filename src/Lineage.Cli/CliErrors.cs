using System.Reflection;
using System.Text;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Neural.Core.Training;
using Spectre.Console;

namespace Lineage.Cli;

/// <summary>
/// The one error boundary of the CLI. Whatever a command throws ends here as one line and an exit code: 2 for what the
/// user can fix (bad arguments, bad or unreadable files, settings that make training diverge, a registry out of reach),
/// 1 for anything else (a bug, or an environment problem such as libtorch not loading), 130 for Ctrl-C. No stack trace
/// is printed unless <c>--debug</c> is given. Text from files is echoed with control characters escaped, so a hostile
/// file cannot drive the terminal.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of errors the user can fix.</summary>
    public const int UserError = 2;

    /// <summary>Exit code of everything else.</summary>
    public const int InternalError = 1;

    /// <summary>Exit code after Ctrl-C.</summary>
    public const int Stopped = 130;

    /// <summary>Whether <paramref name="e"/> is an error in what the user gave (arguments, files, settings).</summary>
    public static bool IsUserError(Exception e) => Innermost(e) is ArgumentException or InvalidDataException or IOException
        or UnauthorizedAccessException or FormatException or DecoderFallbackException or JsonException or KeyNotFoundException
        or TrainingDivergedException or RegistryUnavailableException or InsufficientMemoryException;

    /// <summary>Prints <paramref name="e"/> as one line (the stack trace too with <paramref name="debug"/>) and returns its exit code.</summary>
    public static int Report(Exception e, bool debug)
    {
        ArgumentNullException.ThrowIfNull(e);
        var inner = Innermost(e);
        if (inner is OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]stopped.[/]");
            return Stopped;
        }

        bool user = IsUserError(inner);
        var message = Escape(inner.Message);
        if (user) AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(message));
        else AnsiConsole.MarkupLine("[red]error:[/] {0} [grey](internal error {1}; run with --debug for the stack trace)[/]", Markup.Escape(message), Markup.Escape(inner.GetType().Name));
        if (debug) Console.Error.WriteLine(e.ToString());
        return user ? UserError : InternalError;
    }

    /// <summary>The message in one line: control characters (escape sequences, NUL, …) as \uXXXX, line breaks as spaces.</summary>
    public static string Escape(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder(message.Length);
        foreach (var c in message)
        {
            if (c is '\n' or '\r' or '\t') sb.Append(' ');
            else if (char.IsControl(c) || c is '\u2028' or '\u2029') sb.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }

        return sb.ToString().Trim();
    }

    /// <summary>The exception that carries the message: wrappers (aggregate, reflection, type initialisers) removed.</summary>
    public static Exception Innermost(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a:
                    e = a.InnerExceptions[0];
                    continue;
                case TargetInvocationException { InnerException: { } t }:
                    e = t;
                    continue;
                case TypeInitializationException { InnerException: { } t }:
                    e = t;
                    continue;
                default:
                    return e;
            }
        }
    }
}
