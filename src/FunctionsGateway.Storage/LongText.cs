using System.Text;
using Azure.Data.Tables;

namespace FunctionsGateway.Storage;

/// <summary>
/// Strings longer than one table property holds (64 KiB: 32,768 UTF-16 characters), stored across numbered properties
/// (<c>Output</c>, <c>Output_1</c>, …) and joined again on read. A run's output and a chat entry reach that size: the
/// core cuts output to <c>MaxOutputChars</c> (32,768 by default) and a chat entry adds a prefix to it. The whole row
/// stays under Table Storage's 1 MiB per entity only while the texts together do.
/// </summary>
internal static class LongText
{
    public const int MaxChars = 32 * 1024;

    /// <summary>Writes <paramref name="value"/> under <paramref name="name"/>; null writes nothing (a missing property reads as null).</summary>
    public static void Write(TableEntity entity, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        var start = 0;
        for (var part = 0; ; part++)
        {
            var length = Math.Min(MaxChars, value.Length - start);

            // Never split a surrogate pair: each part must be valid UTF-16 on its own.
            if (start + length < value.Length && char.IsHighSurrogate(value[start + length - 1]))
            {
                length--;
            }

            entity[PartName(name, part)] = value.Substring(start, length);
            start += length;
            if (start >= value.Length)
            {
                return;
            }
        }
    }

    public static string? Read(TableEntity entity, string name)
    {
        var first = entity.GetString(name);
        if (first is null || !entity.ContainsKey(PartName(name, 1)))
        {
            return first;
        }

        var text = new StringBuilder(first);
        for (var part = 1; entity.GetString(PartName(name, part)) is { } next; part++)
        {
            text.Append(next);
        }

        return text.ToString();
    }

    private static string PartName(string name, int part) => part == 0 ? name : $"{name}_{part}";
}
