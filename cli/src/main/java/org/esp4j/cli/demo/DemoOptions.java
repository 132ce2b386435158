package org.esp4j.cli.demo;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.sim.SimAlgorithms;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code esp4j demo} options: {@code --ipv4}, {@code --carrier raw|udp}, {@code --alg}, {@code --ealg},
 * {@code --reregister N}, {@code --deregister}, {@code --keep}, {@code --no-root} (the in-process mode even as root).
 *
 * @param ipv4         IPv4 lab (192.0.2.1, 192.0.2.2) instead of the seed's IPv6 addresses.
 * @param carrier      {@code raw} (IP protocol 50) or {@code udp} (RFC 3948, port 4500).
 * @param alg          integrity algorithm the UE offers, or null for the seed's two ({@link IntegrityAlgorithm#NONE}
 *                     for the Rel-15 combined-mode choices, see {@link SimAlgorithms}).
 * @param ealg         encryption in force ({@code null} by default; aes-gcm, or aes-gmac for {@code --alg aes-gmac}).
 * @param reregister   protected re-registrations after the first.
 * @param deregister   de-register at the end.
 * @param rechallenge  re-registrations renew the SAs with a fresh challenge (both sims' {@code --rechallenge}).
 * @param keep         leave the lab running.
 * @param noRoot       run the in-process mode.
 */
public record DemoOptions(
    boolean ipv4, String carrier, IntegrityAlgorithm alg, EncryptionAlgorithm ealg, int reregister, boolean deregister,
    boolean rechallenge, boolean keep, boolean noRoot)
{
    static final String USAGE = String.join(System.lineSeparator(),
        "usage: esp4j demo [--ipv4] [--carrier raw|udp] [--alg hmac-md5-96|hmac-sha-1-96|aes-gmac]",
        "                  [--ealg null|aes-cbc|aes-gcm] [--reregister N [--rechallenge]] [--deregister] [--keep]",
        "                  [--no-root]",
        "As root: two network namespaces joined by a veth, an esp4j daemon and a simulator (esp4j sim) in each, the",
        "seed's IMS registration with IPsec over real sockets, checked on the wire with tcpdump; then removes it all",
        "(--keep leaves it up and prints how to poke and remove it). Needs iproute2 and tcpdump.",
        "Without root (or with --no-root): the same exchange in one process, ESP-in-UDP over loopback, SIP over UDP.");

    /**
     * @param args after {@code demo}.
     * @return the options.
     * @throws IllegalArgumentException naming the option at fault.
     */
    static DemoOptions parse(final String[] args)
    {
        boolean ipv4 = false;
        String carrier = "raw";
        String algText = null;
        String ealgText = null;
        int reregister = 0;
        boolean deregister = false;
        boolean rechallenge = false;
        boolean keep = false;
        boolean noRoot = false;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            switch (arg)
            {
                case "--ipv4" -> ipv4 = true;
                case "--carrier" -> {
                    carrier = value(args, ++i, arg);
                    if (!carrier.equals("raw") && !carrier.equals("udp"))
                    {
                        throw new IllegalArgumentException("--carrier: expected raw or udp, got '" + carrier + "'");
                    }
                }
                case "--alg" -> algText = value(args, ++i, arg);
                case "--ealg" -> ealgText = value(args, ++i, arg);
                case "--reregister" -> {
                    final String text = value(args, ++i, arg);
                    try
                    {
                        reregister = Integer.parseInt(text);
                    }
                    catch (final NumberFormatException ex)
                    {
                        reregister = -1;
                    }
                    if (reregister < 0 || reregister > 100)
                    {
                        throw new IllegalArgumentException("--reregister: expected 0..100, got '" + text + "'");
                    }
                }
                case "--deregister" -> deregister = true;
                case "--rechallenge" -> rechallenge = true;
                case "--keep" -> keep = true;
                case "--no-root" -> noRoot = true;
                default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
        }
        final SimAlgorithms algorithms = SimAlgorithms.parse(algText, ealgText);
        return new DemoOptions(ipv4, carrier, algorithms.alg(),
            algorithms.ealg() != null ? algorithms.ealg() : EncryptionAlgorithm.NULL, reregister, deregister,
            rechallenge, keep, noRoot);
    }

    /**
     * @return the arguments that give the simulators these choices.
     */
    List<String> simArguments()
    {
        final List<String> args = new ArrayList<>();
        if (ipv4)
        {
            args.add("--ipv4");
        }
        final SimAlgorithms algorithms = new SimAlgorithms(alg, ealg);
        if (alg != null)
        {
            args.addAll(List.of("--alg", algorithms.algToken()));
        }
        args.addAll(List.of("--ealg", algorithms.ealgToken()));
        if (rechallenge)
        {
            args.add("--rechallenge");
        }
        return args;
    }

    private static String value(final String[] args, final int index, final String option)
    {
        if (index >= args.length || args[index].startsWith("--"))
        {
            throw new IllegalArgumentException(option + ": missing value");
        }
        return args[index];
    }
}
