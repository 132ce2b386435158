package org.esp4j.tun.sip;

import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.Milenage;
import org.esp4j.sip.aka.TestUsimAlgorithm;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.tun.daemon.DaemonConfig;

/**
 * The daemon's SIP bridge settings, from its config ({@code sip.role=ue|pcscf}, {@code sip.k=HEX},
 * {@code sip.op=HEX} or {@code sip.opc=HEX}, {@code sip.algorithm=milenage|test-usim}). {@code esp4j run
 * --sip-bridge ue --k K --opc OPC} sets the same keys. Errors name the key, never its value.
 *
 * @param role          UE or P-CSCF.
 * @param aka           the subscriber's algorithm, or null without {@code sip.k}.
 * @param algorithmName which algorithm.
 */
public record SipBridgeSettings(Role role, AkaAlgorithm aka, String algorithmName)
{
    public static final String ROLE = "sip.role";
    public static final String K = "sip.k";
    public static final String OP = "sip.op";
    public static final String OPC = "sip.opc";
    public static final String ALGORITHM = "sip.algorithm";

    /**
     * @param config the daemon config.
     * @return the settings.
     * @throws IllegalArgumentException naming the bad key.
     */
    public static SipBridgeSettings from(final DaemonConfig config)
    {
        final Role role;
        try
        {
            role = Role.parse(config.get(ROLE, ""));
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalArgumentException(ROLE + " must be ue or pcscf");
        }
        final String algorithm = config.get(ALGORITHM, "milenage");
        final String k = config.get(K, "");
        if (k.isEmpty())
        {
            return new SipBridgeSettings(role, null, algorithm);
        }
        final byte[] key = hex(K, k, 16);
        switch (algorithm)
        {
            case "milenage":
                final String op = config.get(OP, "");
                final String opc = config.get(OPC, "");
                if (op.isEmpty() == opc.isEmpty())
                {
                    throw new IllegalArgumentException("milenage needs exactly one of " + OP + " and " + OPC);
                }
                return new SipBridgeSettings(role, op.isEmpty() ?
                    Milenage.withOpc(key, hex(OPC, opc, 16)) : Milenage.withOp(key, hex(OP, op, 16)), algorithm);
            case "test-usim":
                return new SipBridgeSettings(role, new TestUsimAlgorithm(key), algorithm);
            default:
                throw new IllegalArgumentException(ALGORITHM + " must be milenage or test-usim");
        }
    }

    private static byte[] hex(final String name, final String text, final int length)
    {
        final String digits = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
        if (digits.length() != length * 2 || !digits.matches("[0-9a-fA-F]+"))
        {
            throw new IllegalArgumentException(name + " must be " + length * 8 + " bits of hex");
        }
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    public String toString()
    {
        return "SipBridgeSettings{role " + role.cliName() + ", algorithm " + algorithmName +
            (aka == null ? ", no keys" : ", keys set") + "}";
    }
}
