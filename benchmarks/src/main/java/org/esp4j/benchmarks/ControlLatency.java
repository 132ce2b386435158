package org.esp4j.benchmarks;

import org.esp4j.cli.control.ControlClient;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Control-command latency: {@code PAIRS} times {@code xfrm state add} then {@code xfrm state delete} of an SA the
 * traffic does not use, each a whole CLI request (connect, request, answer) on the daemon's control socket, timed
 * one by one. Run it beside traffic through the daemon ({@code CONTROL_PAIRS} in {@code benchmarks/scripts/
 * iperf-tun.sh}). Prints the percentiles in milliseconds and the number of refused commands.
 * <pre>
 *   java -cp benchmarks.jar org.esp4j.benchmarks.ControlLatency SOCKET PAIRS SRC DST
 * </pre>
 */
public final class ControlLatency
{
    private static final String KEY = "0x00112233445566778899aabbccddeeff00112233";
    private static final long FIRST_SPI = 0x7000_0000L;

    private ControlLatency()
    {
    }

    public static void main(final String[] args)
    {
        final String socket = args[0];
        final int pairs = Integer.parseInt(args[1]);
        final String src = args[2];
        final String dst = args[3];
        final long[] latencyNs = new long[2 * pairs];
        int failed = 0;
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        for (int i = 0; i < pairs; i++)
        {
            final String spi = "0x" + Long.toHexString(FIRST_SPI + i);
            final String[] add = { "--socket", socket, "state", "add", "src", src, "dst", dst, "proto", "esp", "spi", spi,
                "mode", "transport", "auth", "hmac(sha1)", KEY, "enc", "cipher_null", "" };
            final String[] delete = { "--socket", socket, "state", "delete", "src", src, "dst", dst, "proto", "esp",
                "spi", spi };
            long start = System.nanoTime();
            failed += ControlClient.runXfrm(add, out, out) == ControlClient.EXIT_OK ? 0 : 1;
            latencyNs[2 * i] = System.nanoTime() - start;
            start = System.nanoTime();
            failed += ControlClient.runXfrm(delete, out, out) == ControlClient.EXIT_OK ? 0 : 1;
            latencyNs[2 * i + 1] = System.nanoTime() - start;
            sink.reset();
        }
        Arrays.sort(latencyNs);
        System.out.printf("commands %d failed %d p50 %.2f ms p90 %.2f ms p99 %.2f ms p99.9 %.2f ms max %.2f ms%n",
            latencyNs.length, failed, ms(latencyNs, 0.50), ms(latencyNs, 0.90), ms(latencyNs, 0.99),
            ms(latencyNs, 0.999), latencyNs[latencyNs.length - 1] / 1e6);
    }

    private static double ms(final long[] sorted, final double quantile)
    {
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }
}
