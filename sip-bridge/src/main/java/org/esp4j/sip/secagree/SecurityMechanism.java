package org.esp4j.sip.secagree;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.crypto.EncryptionAlgorithm;

import org.esp4j.sip.message.HeaderValues;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One {@code sec-mechanism} of a Security-Client, Security-Server or Security-Verify header (RFC 3329 §2.2).
 * <p>
 * For the {@code ipsec-3gpp} mechanism (TS 33.203 Annex H) the parameters are validated and typed: {@code alg}
 * (required), {@code ealg} (absent means not stated, which TS 33.203 §7.1 treats as {@code null} encryption),
 * {@code prot} (default {@code esp}), {@code mod} (default {@code trans}), {@code spi-c}, {@code spi-s}
 * (unsigned 32-bit, leading zeros allowed), {@code port-c}, {@code port-s} (1..65535) and {@code q}
 * (RFC 3261 qvalue). Other mechanisms ({@code digest}, {@code tls}, ...) and unknown parameters are kept as
 * written so that {@link #format()} reproduces them.
 * <p>
 * {@link #equals(Object)} is semantic, as the bidding-down checks of RFC 3329 §2.3.1 need: parameter order, case of
 * names and leading zeros do not matter; values do.
 */
public final class SecurityMechanism
{
    /** Mechanism name of TS 33.203 Annex H. */
    public static final String IPSEC_3GPP = "ipsec-3gpp";

    /** Largest unsigned 32-bit value, the largest SPI. */
    public static final long MAX_SPI = 0xFFFF_FFFFL;

    private final String name;
    private final List<Parameter> parameters;
    private final IntegrityAlgorithm alg;
    private final EncryptionAlgorithm ealg;
    private final boolean gmac;
    private final String prot;
    private final String mode;
    private final long spiC;
    private final long spiS;
    private final int portC;
    private final int portS;
    private final double q;
    private final Map<String, String> otherParameters;
    private String formatted;

    /**
     * A parameter as written: name and value (null for a parameter without {@code =}).
     */
    public static final class Parameter
    {
        private final String name;
        private final String value;

        /**
         * @param name  as written.
         * @param value as written, or null.
         */
        public Parameter(final String name, final String value)
        {
            this.name = name;
            this.value = value;
        }

        /**
         * @return name as written.
         */
        public String name()
        {
            return name;
        }

        /**
         * @return value as written, or null for a flag.
         */
        public String value()
        {
            return value;
        }

        public String toString()
        {
            return value == null ? name : name + "=" + value;
        }
    }

    private SecurityMechanism(final String name, final List<Parameter> parameters)
    {
        this.name = name;
        this.parameters = Collections.unmodifiableList(parameters);
        final boolean ipsec = IPSEC_3GPP.equalsIgnoreCase(name);

        IntegrityAlgorithm alg = null;
        EncryptionAlgorithm ealg = null;
        boolean gmac = false;
        String prot = null;
        String mode = null;
        long spiC = -1;
        long spiS = -1;
        int portC = -1;
        int portS = -1;
        double q = Double.NaN;
        Map<String, String> other = null; // made only for a parameter that is not typed: rare
        for (int i = 0, size = parameters.size(); i < size; i++)
        {
            final Parameter parameter = parameters.get(i);
            final String key = parameter.name.toLowerCase(Locale.ROOT);
            for (int j = 0; j < i; j++)
            {
                if (parameters.get(j).name.equalsIgnoreCase(key))
                {
                    throw new SecAgreeException(key + ": parameter repeated in mechanism " + name);
                }
            }
            if (key.equals("q"))
            {
                q = parseQ(required(key, parameter.value));
                continue;
            }
            if (!ipsec)
            {
                other = other == null ? new TreeMap<>() : other;
                other.put(key, parameter.value);
                continue;
            }
            switch (key)
            {
                case "alg":
                    gmac = SecAgreeAlgorithms.AES_GMAC.equalsIgnoreCase(required(key, parameter.value));
                    alg = gmac ? IntegrityAlgorithm.NONE : SecAgreeAlgorithms.integrity(parameter.value);
                    break;
                case "ealg":
                    ealg = SecAgreeAlgorithms.encryption(required(key, parameter.value));
                    break;
                case "prot":
                    prot = oneOf(key, required(key, parameter.value), "esp", "ah");
                    break;
                case "mod":
                    mode = oneOf(key, required(key, parameter.value), "trans", "tun", "UDP-enc-tun");
                    break;
                case "spi-c":
                    spiC = parseSpi(key, required(key, parameter.value));
                    break;
                case "spi-s":
                    spiS = parseSpi(key, required(key, parameter.value));
                    break;
                case "port-c":
                    portC = parsePort(key, required(key, parameter.value));
                    break;
                case "port-s":
                    portS = parsePort(key, required(key, parameter.value));
                    break;
                default:
                    other = other == null ? new TreeMap<>() : other;
                    other.put(key, parameter.value);
                    break;
            }
        }
        if (ipsec)
        {
            if (alg == null)
            {
                throw new SecAgreeException("alg: required parameter missing in ipsec-3gpp mechanism");
            }
            requireCombination(alg, ealg, gmac);
            requirePresent("spi-c", spiC);
            requirePresent("spi-s", spiS);
            requirePresent("port-c", portC);
            requirePresent("port-s", portS);
        }
        this.alg = alg;
        this.ealg = ealg;
        this.gmac = gmac;
        this.prot = prot;
        this.mode = mode;
        this.spiC = spiC;
        this.spiS = spiS;
        this.portC = portC;
        this.portS = portS;
        this.q = q;
        this.otherParameters = other == null ? Map.of() : Collections.unmodifiableMap(other);
    }

    /**
     * Parse one {@code sec-mechanism}, e.g. {@code ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4}.
     *
     * @param text the mechanism text.
     * @return the mechanism.
     * @throws SecAgreeException naming the parameter at fault.
     */
    public static SecurityMechanism parse(final String text)
    {
        final List<String> parts = HeaderValues.split(text, ';');
        if (parts.isEmpty())
        {
            throw new SecAgreeException("mechanism-name: empty security mechanism");
        }
        final String name = parts.get(0);
        if (!isToken(name))
        {
            throw new SecAgreeException("mechanism-name: not a token: '" + name + "'");
        }
        final List<Parameter> parameters = new ArrayList<>(parts.size() - 1);
        for (int i = 1; i < parts.size(); i++)
        {
            final String part = parts.get(i);
            final int eq = part.indexOf('=');
            final String parameterName = (eq < 0 ? part : part.substring(0, eq)).trim();
            if (!isToken(parameterName))
            {
                throw new SecAgreeException("mechanism " + name + ": malformed parameter '" + part + "'");
            }
            parameters.add(new Parameter(parameterName, eq < 0 ? null : part.substring(eq + 1).trim()));
        }
        return new SecurityMechanism(name, parameters);
    }

    /**
     * Build an {@code ipsec-3gpp} mechanism as a P-CSCF or UE offers it: {@code alg}, {@code ealg} (when not null),
     * {@code prot=esp}, {@code mod=trans}, SPIs and ports.
     *
     * @param alg   integrity algorithm ({@link IntegrityAlgorithm#NONE} writes {@code alg=null}).
     * @param ealg  encryption algorithm, or null to leave {@code ealg} out; {@link EncryptionAlgorithm#AES_GMAC}
     *              writes {@code alg=aes-gmac;ealg=null}.
     * @param spiC  SPI of the client-port SA, unsigned 32-bit.
     * @param spiS  SPI of the server-port SA, unsigned 32-bit.
     * @param portC protected client port.
     * @param portS protected server port.
     * @return the mechanism.
     */
    public static SecurityMechanism ipsec3gpp(
        final IntegrityAlgorithm alg,
        final EncryptionAlgorithm ealg,
        final long spiC,
        final long spiS,
        final int portC,
        final int portS)
    {
        final List<Parameter> parameters = new ArrayList<>(9);
        parameters.add(new Parameter("alg", SecAgreeAlgorithms.algToken(alg, ealg)));
        if (ealg != null)
        {
            parameters.add(new Parameter("ealg", SecAgreeAlgorithms.ealgToken(alg, ealg)));
        }
        parameters.add(new Parameter("prot", "esp"));
        parameters.add(new Parameter("mod", "trans"));
        parameters.add(new Parameter("spi-c", Long.toString(spiC)));
        parameters.add(new Parameter("spi-s", Long.toString(spiS)));
        parameters.add(new Parameter("port-c", Integer.toString(portC)));
        parameters.add(new Parameter("port-s", Integer.toString(portS)));
        return new SecurityMechanism(IPSEC_3GPP, parameters);
    }

    /**
     * A copy with a {@code q} parameter set (replaced if present).
     *
     * @param qValue preference 0..1, at most three decimals.
     * @return the new mechanism.
     */
    public SecurityMechanism withQ(final String qValue)
    {
        final List<Parameter> copy = new ArrayList<>(parameters.size() + 1);
        for (final Parameter parameter : parameters)
        {
            if (!parameter.name.equalsIgnoreCase("q"))
            {
                copy.add(parameter);
            }
        }
        copy.add(new Parameter("q", qValue));
        return new SecurityMechanism(name, copy);
    }

    /**
     * @return the text form: name and parameters as written, joined with {@code ;}.
     */
    public String format()
    {
        String text = formatted;
        if (text == null)
        {
            // immutable: the text is made once (a racing second copy is equal and harmless)
            final StringBuilder sb = new StringBuilder(160).append(name);
            for (final Parameter parameter : parameters)
            {
                sb.append(';').append(parameter);
            }
            text = sb.toString();
            formatted = text;
        }
        return text;
    }

    /**
     * @return the mechanism name as written.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return true for {@code ipsec-3gpp}.
     */
    public boolean isIpsec3gpp()
    {
        return IPSEC_3GPP.equalsIgnoreCase(name);
    }

    /**
     * @return parameters in the order written.
     */
    public List<Parameter> parameters()
    {
        return parameters;
    }

    /**
     * @return the integrity algorithm ({@code ipsec-3gpp} only, else null).
     */
    public IntegrityAlgorithm alg()
    {
        return alg;
    }

    /**
     * @return the {@code ealg} as written, or null when the parameter is absent.
     */
    public EncryptionAlgorithm ealg()
    {
        return ealg;
    }

    /**
     * @return the transform in force: {@link #ealg()}, or {@link EncryptionAlgorithm#NULL} when absent, or
     * {@link EncryptionAlgorithm#AES_GMAC} for {@code alg=aes-gmac} (whose {@link #alg()} is
     * {@link IntegrityAlgorithm#NONE}).
     */
    public EncryptionAlgorithm effectiveEalg()
    {
        return gmac ? EncryptionAlgorithm.AES_GMAC : ealg == null ? EncryptionAlgorithm.NULL : ealg;
    }

    /**
     * @return {@code prot}, default {@code esp}.
     */
    public String prot()
    {
        return prot == null ? "esp" : prot;
    }

    /**
     * @return {@code mod}, default {@code trans}.
     */
    public String mode()
    {
        return mode == null ? "trans" : mode;
    }

    /**
     * @return {@code spi-c}, unsigned 32-bit in a long (-1 when not {@code ipsec-3gpp}).
     */
    public long spiC()
    {
        return spiC;
    }

    /**
     * @return {@code spi-s}, unsigned 32-bit in a long (-1 when not {@code ipsec-3gpp}).
     */
    public long spiS()
    {
        return spiS;
    }

    /**
     * @return {@code port-c} (-1 when not {@code ipsec-3gpp}).
     */
    public int portC()
    {
        return portC;
    }

    /**
     * @return {@code port-s} (-1 when not {@code ipsec-3gpp}).
     */
    public int portS()
    {
        return portS;
    }

    /**
     * @return true when a {@code q} parameter is present.
     */
    public boolean hasQ()
    {
        return !Double.isNaN(q);
    }

    /**
     * @return {@code q}, or 0 when absent (an unranked offer comes last).
     */
    public double q()
    {
        return Double.isNaN(q) ? 0.0 : q;
    }

    /**
     * @return parameters other than the typed ones, lower-case names, values as written (null for flags).
     */
    public Map<String, String> otherParameters()
    {
        return otherParameters;
    }

    /**
     * @param other mechanism.
     * @return true when both use the same algorithms (alg and effective ealg), the test for "supported".
     */
    public boolean sameAlgorithms(final SecurityMechanism other)
    {
        return isIpsec3gpp() && other.isIpsec3gpp() && alg == other.alg && effectiveEalg() == other.effectiveEalg();
    }

    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof SecurityMechanism))
        {
            return false;
        }
        final SecurityMechanism that = (SecurityMechanism)o;
        return name.equalsIgnoreCase(that.name) &&
            alg == that.alg &&
            effectiveEalg() == that.effectiveEalg() &&
            prot().equals(that.prot()) &&
            mode().equals(that.mode()) &&
            spiC == that.spiC && spiS == that.spiS &&
            portC == that.portC && portS == that.portS &&
            Double.compare(q, that.q) == 0 &&
            otherParameters.equals(that.otherParameters);
    }

    public int hashCode()
    {
        // equal mechanisms have equal hashes: equals ignores the name's case
        int h = 0;
        for (int i = 0; i < name.length(); i++)
        {
            h = 31 * h + Character.toLowerCase(name.charAt(i));
        }
        h = 31 * h + Objects.hashCode(alg);
        h = 31 * h + Long.hashCode(spiC);
        h = 31 * h + Long.hashCode(spiS);
        h = 31 * h + portC;
        return 31 * h + portS;
    }

    public String toString()
    {
        return format();
    }

    /**
     * TS 33.203 Annex H (Rel-15): {@code alg=null} only with {@code ealg=aes-gcm}, {@code ealg=aes-gcm} only with
     * {@code alg=null}, {@code alg=aes-gmac} only with {@code ealg=null} (or no ealg).
     */
    private static void requireCombination(final IntegrityAlgorithm alg, final EncryptionAlgorithm ealg, final boolean gmac)
    {
        if (gmac)
        {
            if (ealg != null && ealg != EncryptionAlgorithm.NULL)
            {
                throw new SecAgreeException("ealg: alg=aes-gmac goes only with ealg=null, not " + ealg.threeGppName());
            }
        }
        else if (alg == IntegrityAlgorithm.NONE && ealg != EncryptionAlgorithm.AES_GCM_16)
        {
            throw new SecAgreeException("alg: alg=null goes only with ealg=aes-gcm");
        }
        else if (alg != IntegrityAlgorithm.NONE && ealg == EncryptionAlgorithm.AES_GCM_16)
        {
            throw new SecAgreeException("alg: ealg=aes-gcm goes only with alg=null, not " + alg.threeGppName());
        }
    }

    private static String required(final String key, final String value)
    {
        if (value == null || value.isEmpty())
        {
            throw new SecAgreeException(key + ": parameter has no value");
        }
        return value;
    }

    private static void requirePresent(final String key, final long value)
    {
        if (value < 0)
        {
            throw new SecAgreeException(key + ": required parameter missing in ipsec-3gpp mechanism");
        }
    }

    private static String oneOf(final String key, final String value, final String... allowed)
    {
        for (final String candidate : allowed)
        {
            if (candidate.equalsIgnoreCase(value))
            {
                return candidate;
            }
        }
        throw new SecAgreeException(key + ": unsupported value '" + value + "' (allowed: " + String.join(", ", allowed) + ")");
    }

    /**
     * Parse an SPI: decimal, leading zeros allowed, 0..4294967295.
     *
     * @param key   parameter name for the error message.
     * @param value the digits.
     * @return the SPI as an unsigned value in a long.
     */
    static long parseSpi(final String key, final String value)
    {
        if (!allDigits(value))
        {
            throw new SecAgreeException(key + ": SPI is not an unsigned decimal number: '" + value + "'");
        }
        int first = 0;
        while (first < value.length() - 1 && value.charAt(first) == '0')
        {
            first++;
        }
        final long spi = value.length() - first > 10 ? Long.MAX_VALUE : Long.parseLong(value, first, value.length(), 10);
        if (spi > MAX_SPI)
        {
            throw new SecAgreeException(key + ": SPI " + value + " is above the unsigned 32-bit range (max 4294967295)");
        }
        return spi;
    }

    private static int parsePort(final String key, final String value)
    {
        if (!allDigits(value) || value.length() > 5)
        {
            throw new SecAgreeException(key + ": port is not a number in 1..65535: '" + value + "'");
        }
        final int port = Integer.parseInt(value);
        if (port < 1 || port > 65535)
        {
            throw new SecAgreeException(key + ": port " + port + " outside 1..65535");
        }
        return port;
    }

    private static double parseQ(final String value)
    {
        // RFC 3261 §25.1: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        if (!isQvalue(value))
        {
            throw new SecAgreeException("q: not a qvalue (0 to 1, at most three decimals): '" + value + "'");
        }
        final double q = Double.parseDouble(value);
        return q;
    }

    /** RFC 3261 §25.1 qvalue, without a regex (one per offered mechanism). */
    private static boolean isQvalue(final String value)
    {
        final int length = value.length();
        if (length == 0 || length > 5 || (value.charAt(0) != '0' && value.charAt(0) != '1'))
        {
            return false;
        }
        if (length == 1)
        {
            return true;
        }
        if (value.charAt(1) != '.')
        {
            return false;
        }
        for (int i = 2; i < length; i++)
        {
            final char c = value.charAt(i);
            if (value.charAt(0) == '1' ? c != '0' : c < '0' || c > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static boolean allDigits(final String value)
    {
        if (value.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < value.length(); i++)
        {
            if (value.charAt(i) < '0' || value.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isToken(final String text)
    {
        if (text.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                "-.!%*_+`'~".indexOf(c) >= 0;
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
