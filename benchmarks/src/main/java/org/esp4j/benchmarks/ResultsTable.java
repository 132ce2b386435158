package org.esp4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH CSV result file ({@code -rf csv -prof gc}) of this suite into the Markdown tables of
 * {@code benchmarks/RESULTS.md}: ratios are computed only between results of the same run.
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar org.esp4j.benchmarks.ResultsTable results.csv
 * </pre>
 */
public final class ResultsTable
{
    private static final String PREFIX = "org.esp4j.benchmarks.";
    private static final String[] SUITES = { "HMAC_MD5_96_NULL", "HMAC_SHA1_96_NULL", "HMAC_SHA1_96_AES_CBC" };
    private static final String[] SIZES = { "64", "512", "1400" };

    private final Map<String, double[]> scores = new HashMap<>();

    private ResultsTable()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final ResultsTable table = new ResultsTable();
        table.read(Path.of(args[0]));
        System.out.print(table.render());
    }

    private void read(final Path csv) throws IOException
    {
        final List<String> lines = Files.readAllLines(csv);
        final List<String> header = split(lines.get(0));
        final int payloadColumn = header.indexOf("Param: payload");
        final int suiteColumn = header.indexOf("Param: suite");
        for (final String line : lines.subList(1, lines.size()))
        {
            final List<String> fields = split(line);
            final String name = fields.get(0).replace(PREFIX, "");
            final String payload = payloadColumn < 0 ? "" : fields.get(payloadColumn);
            final String suite = suiteColumn < 0 || suiteColumn >= fields.size() ? "" : fields.get(suiteColumn);
            scores.put(key(name, suite, payload), new double[]{ parse(fields.get(4)), parse(fields.get(5)) });
        }
    }

    private String render()
    {
        final StringBuilder out = new StringBuilder();
        out.append("| suite | UDP payload (B) | protect ops/us | unprotect ops/us (window 0) | baseline ops/us " +
            "(protect side) | baseline ops/us (unprotect side) | protect / baseline | unprotect / baseline | " +
            "B/op protect | B/op unprotect | B/op baseline (P / U) |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final String suite : SUITES)
        {
            for (final String size : SIZES)
            {
                final double[] protect = get("ProtectBenchmark.protect", suite, size);
                final double[] unprotect = get("UnprotectBenchmark.unprotect", suite, size);
                final double[] baseP = get("ProtectBenchmark.baselineJdkMac", suite, size);
                final double[] baseU = get("UnprotectBenchmark.baselineJdkMac", suite, size);
                out.append("| ").append(suite).append(" | ").append(size)
                    .append(" | ").append(score(protect)).append(" | ").append(score(unprotect))
                    .append(" | ").append(score(baseP)).append(" | ").append(score(baseU))
                    .append(" | ").append(ratio(protect, baseP, suite, size))
                    .append(" | ").append(ratio(unprotect, baseU, suite, size))
                    .append(" | ").append(bytes("ProtectBenchmark.protect", suite, size))
                    .append(" | ").append(bytes("UnprotectBenchmark.unprotect", suite, size))
                    .append(" | ").append(bytes("ProtectBenchmark.baselineJdkMac", suite, size)).append(" / ")
                    .append(bytes("UnprotectBenchmark.baselineJdkMac", suite, size))
                    .append(" |\n");
            }
        }

        out.append("\nThe same runs by CPU time of the benchmark thread (WorkerCpuProfiler, ns/op, lower is better); " +
            "ratio = baseline ns / esp4j ns, i.e. the throughput ratio the code would show on an idle core.\n\n");
        out.append("| suite | UDP payload (B) | protect ns/op | baseline ns/op (P) | protect / baseline | " +
            "unprotect ns/op | baseline ns/op (U) | unprotect / baseline |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final String suite : SUITES)
        {
            for (final String size : SIZES)
            {
                final double[] protect = cpu("ProtectBenchmark.protect", suite, size);
                final double[] unprotect = cpu("UnprotectBenchmark.unprotect", suite, size);
                final double[] baseP = cpu("ProtectBenchmark.baselineJdkMac", suite, size);
                final double[] baseU = cpu("UnprotectBenchmark.baselineJdkMac", suite, size);
                out.append("| ").append(suite).append(" | ").append(size)
                    .append(" | ").append(nanos(protect)).append(" | ").append(nanos(baseP))
                    .append(" | ").append(ratio(baseP, protect, suite, size))
                    .append(" | ").append(nanos(unprotect)).append(" | ").append(nanos(baseU))
                    .append(" | ").append(ratio(baseU, unprotect, suite, size))
                    .append(" |\n");
            }
        }

        out.append("\nRound trip with anti-replay on (window 64): one op = protect on the UE + unprotect on the " +
            "P-CSCF; baseline = copy + the sender's and the receiver's JDK HMAC.\n\n");
        out.append("| suite | UDP payload (B) | protect+unprotect ops/us | baseline ops/us | ratio | " +
            "CPU ns/op | baseline CPU ns/op | CPU ratio | B/op | B/op baseline |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final String suite : SUITES)
        {
            for (final String size : SIZES)
            {
                final double[] trip = get("RoundTripBenchmark.protectThenUnprotect", suite, size);
                final double[] base = get("RoundTripBenchmark.baselineJdkMacTwice", suite, size);
                out.append("| ").append(suite).append(" | ").append(size)
                    .append(" | ").append(score(trip)).append(" | ").append(score(base))
                    .append(" | ").append(ratio(trip, base, suite, size))
                    .append(" | ").append(nanos(cpu("RoundTripBenchmark.protectThenUnprotect", suite, size)))
                    .append(" | ").append(nanos(cpu("RoundTripBenchmark.baselineJdkMacTwice", suite, size)))
                    .append(" | ").append(ratio(cpu("RoundTripBenchmark.baselineJdkMacTwice", suite, size),
                        cpu("RoundTripBenchmark.protectThenUnprotect", suite, size), suite, size))
                    .append(" | ").append(bytes("RoundTripBenchmark.protectThenUnprotect", suite, size))
                    .append(" | ").append(bytes("RoundTripBenchmark.baselineJdkMacTwice", suite, size))
                    .append(" |\n");
            }
        }

        out.append("\nHMAC_SHA1_96_AES_CBC against the JDK doing AES-128-CBC (Cipher.init per packet) + HMAC-SHA1 " +
            "(JdkAesCbcHmacBenchmark).\n\n");
        out.append("| UDP payload (B) | esp4j protect ops/us | JDK AES-CBC+HMAC protect ops/us | ratio | CPU ratio | " +
            "esp4j unprotect ops/us | JDK AES-CBC+HMAC unprotect ops/us | ratio | CPU ratio | B/op JDK (P / U) |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        final String aes = "HMAC_SHA1_96_AES_CBC";
        for (final String size : SIZES)
        {
            final double[] protect = get("ProtectBenchmark.protect", aes, size);
            final double[] unprotect = get("UnprotectBenchmark.unprotect", aes, size);
            final double[] jdkP = get("JdkAesCbcHmacBenchmark.protect", "", size);
            final double[] jdkU = get("JdkAesCbcHmacBenchmark.unprotect", "", size);
            out.append("| ").append(size)
                .append(" | ").append(score(protect)).append(" | ").append(score(jdkP))
                .append(" | ").append(ratio(protect, jdkP, aes, size))
                .append(" | ").append(ratio(cpu("JdkAesCbcHmacBenchmark.protect", "", size),
                    cpu("ProtectBenchmark.protect", aes, size), aes, size))
                .append(" | ").append(score(unprotect)).append(" | ").append(score(jdkU))
                .append(" | ").append(ratio(unprotect, jdkU, aes, size))
                .append(" | ").append(ratio(cpu("JdkAesCbcHmacBenchmark.unprotect", "", size),
                    cpu("UnprotectBenchmark.unprotect", aes, size), aes, size))
                .append(" | ").append(bytes("JdkAesCbcHmacBenchmark.protect", "", size)).append(" / ")
                .append(bytes("JdkAesCbcHmacBenchmark.unprotect", "", size))
                .append(" |\n");
        }
        return out.toString();
    }

    private double[] get(final String benchmark, final String suite, final String size)
    {
        return scores.get(key(benchmark, suite, size));
    }

    private double[] cpu(final String benchmark, final String suite, final String size)
    {
        return get(benchmark + ":cpu.ns/op", suite, size);
    }

    private static String nanos(final double[] value)
    {
        if (value == null)
        {
            return "n/a";
        }
        return Double.isNaN(value[1]) ? String.format(Locale.ROOT, "%.0f", value[0]) :
            String.format(Locale.ROOT, "%.0f ± %.0f", value[0], value[1]);
    }

    private String bytes(final String benchmark, final String suite, final String size)
    {
        final double[] value = get(benchmark + ":gc.alloc.rate.norm", suite, size);
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.1f", value[0] < 0.05 ? 0.0 : value[0]);
    }

    private static String score(final double[] value)
    {
        if (value == null)
        {
            return "n/a";
        }
        return Double.isNaN(value[1]) ? String.format(Locale.ROOT, "%.3f", value[0]) :
            String.format(Locale.ROOT, "%.3f ± %.3f", value[0], value[1]);
    }

    /** Ratio, with the target verdict for the NULL suites (>= 0.90 at 1400 B, >= 0.75 at 64 B). */
    private static String ratio(final double[] value, final double[] baseline, final String suite, final String size)
    {
        if (value == null || baseline == null)
        {
            return "n/a";
        }
        final double ratio = value[0] / baseline[0];
        String mark = "";
        if (suite.endsWith("_NULL"))
        {
            final double target = "1400".equals(size) ? 0.90 : "64".equals(size) ? 0.75 : Double.NaN;
            if (!Double.isNaN(target))
            {
                mark = ratio >= target ? " ✔" : " ✘";
            }
        }
        return String.format(Locale.ROOT, "%.2f%s", ratio, mark);
    }

    private static String key(final String benchmark, final String suite, final String size)
    {
        return benchmark + "|" + suite + "|" + size;
    }

    private static double parse(final String text)
    {
        try
        {
            return Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            return Double.NaN;
        }
    }

    private static List<String> split(final String line)
    {
        final List<String> fields = new ArrayList<>();
        final StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.add(field.toString());
                field.setLength(0);
            }
            else
            {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
