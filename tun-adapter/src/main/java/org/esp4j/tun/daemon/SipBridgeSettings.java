package org.esp4j.tun.daemon;

import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.SubscriberKeys;
import org.esp4j.sip.lifecycle.Role;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The daemon's SIP bridge settings, from its config ({@code sip.role=ue|pcscf}, {@code sip.keyfile=FILE} or
 * {@code sip.k=HEX} with {@code sip.op=HEX} or {@code sip.opc=HEX}, {@code sip.algorithm=milenage|test-usim}),
 * resolved once by {@link DaemonConfig#sipBridge()}. {@code esp4j run --sip-bridge ue --subscriber FILE} sets the
 * same keys.
 * <p>
 * The subscriber's keys come from the first of: {@code sip.k}/{@code sip.op}/{@code sip.opc} (config, or
 * {@code --k}/{@code --op}/{@code --opc}, which every local user can read in {@code ps}); the key file
 * {@code sip.keyfile} (format and permission rule in {@link SubscriberKeys}); the environment ({@code ESP4J_K},
 * {@code ESP4J_OP}, {@code ESP4J_OPC}). The UE role needs them (it answers the AKA challenge); the P-CSCF role may do
 * without, taking CK/IK from the S-CSCF's 401. Errors name the key, never its value.
 *
 * @param role          UE or P-CSCF.
 * @param aka           the subscriber's algorithm, or null without keys.
 * @param algorithmName which algorithm.
 */
public record SipBridgeSettings(Role role, AkaAlgorithm aka, String algorithmName)
{
    public static final String ROLE = "sip.role";
    public static final String K = "sip.k";
    public static final String OP = "sip.op";
    public static final String OPC = "sip.opc";
    public static final String KEYFILE = "sip.keyfile";
    public static final String ALGORITHM = "sip.algorithm";

    /**
     * @param config the daemon config.
     * @param env    the environment to take {@code ESP4J_K} etc. from.
     * @return the settings.
     * @throws IllegalArgumentException naming the bad key or file.
     */
    public static SipBridgeSettings from(final DaemonConfig config, final Map<String, String> env)
    {
        final Role role = config.sipRole();
        if (role == null)
        {
            throw new IllegalArgumentException(ROLE + " must be ue or pcscf");
        }
        final String configAlgorithm = config.sipAlgorithm();
        final SubscriberKeys keys = keys(config, env);
        if (keys == null)
        {
            if (Role.UE == role)
            {
                throw new IllegalArgumentException("the UE role needs the subscriber's keys: --subscriber FILE " +
                    "(or " + KEYFILE + "), or ESP4J_K with ESP4J_OPC or ESP4J_OP in the environment (only the " +
                    "P-CSCF role can do without: it takes CK/IK from the S-CSCF's 401)");
            }
            return new SipBridgeSettings(role, null, configAlgorithm.isEmpty() ? SubscriberKeys.MILENAGE :
                configAlgorithm);
        }
        final String algorithm = !configAlgorithm.isEmpty() ? configAlgorithm :
            keys.algorithmName() != null ? keys.algorithmName() : SubscriberKeys.MILENAGE;
        if (!SubscriberKeys.MILENAGE.equals(algorithm) && !SubscriberKeys.TEST_USIM.equals(algorithm))
        {
            throw new IllegalArgumentException(ALGORITHM + " must be milenage or test-usim");
        }
        return new SipBridgeSettings(role, keys.akaAlgorithm(algorithm), algorithm);
    }

    private static SubscriberKeys keys(final DaemonConfig config, final Map<String, String> env)
    {
        final String k = config.sipK();
        final String op = config.sipOp();
        final String opc = config.sipOpc();
        if (!k.isEmpty() || !op.isEmpty() || !opc.isEmpty())
        {
            if (k.isEmpty())
            {
                throw new IllegalArgumentException((op.isEmpty() ? OPC : OP) + " needs " + K);
            }
            return SubscriberKeys.of("sip.k/sip.op/sip.opc", k, op.isEmpty() ? null : op, opc.isEmpty() ? null : opc,
                null);
        }
        final Path keyFile = config.sipKeyFile();
        if (keyFile != null)
        {
            try
            {
                return SubscriberKeys.readFile(keyFile);
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException(KEYFILE + ": " + ex.getMessage());
            }
        }
        return SubscriberKeys.fromEnvironment(env);
    }

    public String toString()
    {
        return "SipBridgeSettings{role " + role.cliName() + ", algorithm " + algorithmName +
            (aka == null ? ", no keys" : ", keys set") + "}";
    }
}
