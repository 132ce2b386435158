package org.esp4j.cli.sip;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.util.InetAddressText;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints SAs as a table in the TS 33.203 §7.1 numbering ({@code | 1 | UE port-c 38003 -> P-CSCF port-s 50718 |
 * 2821032177 (P-CSCF spi-s) | ...}). Keys only when asked.
 */
final class SaTablePrinter
{
    private final boolean withKeys;

    SaTablePrinter(final boolean withKeys)
    {
        this.withKeys = withKeys;
    }

    void print(final PrintStream out, final List<SaSpec> sas, final Role role)
    {
        if (sas.isEmpty())
        {
            out.println("SA table: no SAs");
            return;
        }
        out.println("SA table (directions as seen by the " + (role == Role.UE ? "UE" : "P-CSCF") + "):");
        out.println("| SA | flow | SPI | SPI hex | alg | ealg | selectors | dir | state |" +
            (withKeys ? " integrity key | encryption key |" : ""));
        out.println("|----|------|-----|---------|-----|------|-----------|-----|-------|" + (withKeys ? "---|---|" : ""));
        for (final SaSpec sa : sas)
        {
            out.println("| " + sa.label().replace("SA", "") +
                " | " + flow(sa) +
                " | " + sa.spi() + " (" + sa.spiOrigin() + ")" +
                " | " + sa.spiHex() +
                " | " + sa.integrityAlgorithmName() +
                " | " + sa.encryptionAlgorithmName() +
                " | " + protocols(sa) +
                " | " + sa.direction().xfrmName() +
                " | " + sa.state() + " |" +
                (withKeys ? " " + key(sa.integrityKey()) + " | " + key(sa.encryptionKey()) + " |" : ""));
        }
        out.println("UE " + InetAddressText.format(ueAddress(sas.get(0))) + ", P-CSCF " + InetAddressText.format(pcscfAddress(sas.get(0))));
        if (withKeys)
        {
            out.println();
            // each line is one ip xfrm takes; a state whose keys are unknown could only be added with made-up keys,
            // so its line is a comment
            final boolean allKeys = sas.stream().allMatch(SaSpec::hasKeys);
            if (!allKeys)
            {
                out.println("# keys unknown (give K and OP/OPc): the state lines are comments");
            }
            for (final SaSpec sa : sas)
            {
                out.println((sa.hasKeys() ? "" : "# ") + "ip xfrm state add " + sa.toIpXfrmStateArgs(true));
            }
            for (final SaSpec sa : sas)
            {
                for (final String policy : sa.toIpXfrmPolicyArgs())
                {
                    out.println("ip xfrm policy add " + policy);
                }
            }
        }
    }

    static String flow(final SaSpec sa)
    {
        switch (sa.label())
        {
            case "SA1":
                return "UE port-c " + sa.srcPort() + " -> P-CSCF port-s " + sa.dstPort();
            case "SA2":
                return "P-CSCF port-s " + sa.srcPort() + " -> UE port-c " + sa.dstPort();
            case "SA3":
                return "P-CSCF port-c " + sa.srcPort() + " -> UE port-s " + sa.dstPort();
            case "SA4":
                return "UE port-s " + sa.srcPort() + " -> P-CSCF port-c " + sa.dstPort();
            default:
                return InetAddressText.format(sa.src(), sa.srcPort()) + " -> " + InetAddressText.format(sa.dst(), sa.dstPort());
        }
    }

    private static java.net.InetAddress ueAddress(final SaSpec sa)
    {
        return sa.label().equals("SA1") || sa.label().equals("SA4") ? sa.src() : sa.dst();
    }

    private static java.net.InetAddress pcscfAddress(final SaSpec sa)
    {
        return sa.label().equals("SA1") || sa.label().equals("SA4") ? sa.dst() : sa.src();
    }

    private static String protocols(final SaSpec sa)
    {
        final List<String> names = new ArrayList<>(2);
        for (final Transport transport : sa.protocols())
        {
            names.add(transport.lowerCaseName());
        }
        return String.join(",", names);
    }

    private static String key(final byte[] key)
    {
        if (key == null)
        {
            return "unknown (no K/OP, no ck/ik)";
        }
        return key.length == 0 ? "none" : Hex.encode(key);
    }
}
