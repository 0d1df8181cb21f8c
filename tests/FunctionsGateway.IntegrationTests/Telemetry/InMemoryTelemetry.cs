using System.Collections;
using System.Diagnostics;
using FunctionsGateway.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FunctionsGateway.IntegrationTests.Telemetry;

/// <summary>
/// The <c>FunctionsGateway</c> source and meter exported in memory, as an OpenTelemetry SDK in the host would export
/// them. The source and meter are process-wide, so the tests that use this run alone (<see cref="TelemetryCollection"/>).
/// </summary>
public sealed class InMemoryTelemetry : IDisposable
{
    private readonly LockedList<Activity> spans = new();
    private readonly LockedList<MetricSnapshot> snapshots = new();
    private readonly TracerProvider tracer;
    private readonly MeterProvider meter;

    public InMemoryTelemetry()
    {
        tracer = Sdk.CreateTracerProviderBuilder().AddSource(GatewayTelemetry.Name).AddInMemoryExporter(spans).Build();
        meter = Sdk.CreateMeterProviderBuilder().AddMeter(GatewayTelemetry.Name).AddInMemoryExporter(snapshots).Build();
    }

    /// <summary>Every span that ended so far.</summary>
    public IReadOnlyList<Activity> Spans => spans.ToList();

    /// <summary>Collects now; the cumulative points of each instrument that has recorded anything, by instrument name.</summary>
    public IReadOnlyDictionary<string, MetricSnapshot> Collect()
    {
        snapshots.Clear();
        meter.ForceFlush();
        return snapshots.ToList().GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.Last());
    }

    /// <summary>The sum of a counter's points whose tags include every one of <paramref name="tags"/> (0 before any).</summary>
    public long Sum(string instrument, params (string Key, object Value)[] tags)
        => Points(instrument, tags).Sum(p => p.GetSumLong());

    /// <summary>How many values a histogram recorded under points whose tags include every one of <paramref name="tags"/>.</summary>
    public long Count(string instrument, params (string Key, object Value)[] tags)
        => Points(instrument, tags).Sum(p => p.GetHistogramCount());

    /// <summary>Each point of <paramref name="instrument"/> as its tags.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Series(string instrument)
        => Collect().TryGetValue(instrument, out var snapshot) ? [.. snapshot.MetricPoints.Select(TagsOf)] : [];

    /// <summary>Every text a backend would store next to the data: span names, attribute values, status, metric tags.</summary>
    public IReadOnlyList<string> EveryExportedText()
    {
        var texts = new List<string>();
        foreach (var span in Spans)
        {
            texts.Add(span.OperationName);
            texts.Add(span.DisplayName);
            texts.AddRange(span.TagObjects.Select(t => t.Key + "=" + Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture)));
            texts.AddRange(span.Events.SelectMany(e => e.Tags.Select(t => e.Name + ":" + t.Key + "=" + t.Value)));
            texts.AddRange(span.Baggage.Select(b => b.Key + "=" + b.Value));
            texts.Add(span.StatusDescription ?? string.Empty);
            texts.Add(span.TraceStateString ?? string.Empty);
        }

        foreach (var (name, snapshot) in Collect())
        {
            texts.Add(name);
            texts.AddRange(snapshot.MetricPoints.SelectMany(p => TagsOf(p).Select(t => t.Key + "=" + t.Value)));
        }

        return texts;
    }

    public void Dispose()
    {
        tracer.Dispose();
        meter.Dispose();
    }

    private IEnumerable<MetricPoint> Points(string instrument, (string Key, object Value)[] tags)
        => Collect().TryGetValue(instrument, out var snapshot)
            ? snapshot.MetricPoints.Where(p => tags.All(t => TagsOf(p).TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
            : [];

    private static Dictionary<string, object?> TagsOf(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }

    /// <summary>The exporters add from the threads that end spans and collect metrics.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> items = [];

        public int Count
        {
            get
            {
                lock (items)
                {
                    return items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (items)
            {
                items.Add(item);
            }
        }

        public void Clear()
        {
            lock (items)
            {
                items.Clear();
            }
        }

        public List<T> ToList()
        {
            lock (items)
            {
                return [.. items];
            }
        }

        public bool Contains(T item) => ToList().Contains(item);

        public void CopyTo(T[] array, int arrayIndex) => ToList().CopyTo(array, arrayIndex);

        public bool Remove(T item)
        {
            lock (items)
            {
                return items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => ToList().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>Tests that listen to the process-wide gateway source and meter: nothing else runs beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
