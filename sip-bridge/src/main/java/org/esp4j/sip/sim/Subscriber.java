package org.esp4j.sip.sim;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.Milenage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One IMS subscriber as the simulators hold it: the private identity (IMPI), the public one (IMPU), the home domain
 * (realm and registrar), and the USIM/HSS secrets K and OPc (or OP, from which OPc is derived, TS 35.206 §4.1),
 * the next SQN and the AMF (TS 33.102 §6.3.2).
 * <p>
 * The default is TS 35.208 test set 1 (K 465b5ce8..., OPc cd63cb71..., SQN ff9bb4d0b607, AMF b9b9) with the seed
 * trace's identity {@code 001010123456789@ims.mnc01.mcc001.3gppnetwork.org}. A subscriber file ({@code --subscriber
 * FILE}) holds {@code key = value} lines: {@code impi}, {@code impu}, {@code domain}, {@code k}, {@code op} or
 * {@code opc}, {@code sqn}, {@code amf} ({@code #} comments); an unknown key or a bad value is one error naming the
 * file, line and key, never the value. {@link #toString()} never shows K, OP or OPc.
 *
 * @param impi   private user identity, the digest username.
 * @param impu   public user identity, a SIP URI.
 * @param domain home network domain: realm and Request-URI host.
 * @param k      128-bit subscriber key.
 * @param opc    128-bit OPc.
 * @param sqn    48-bit SQN of the next challenge (the HSS's counter).
 * @param amf    16-bit AMF.
 */
public record Subscriber(String impi, String impu, String domain, byte[] k, byte[] opc, long sqn, int amf)
{
    /** The seed trace's home domain. */
    public static final String SEED_DOMAIN = "ims.mnc01.mcc001.3gppnetwork.org";
    /** The seed trace's IMSI-derived user part. */
    public static final String SEED_USER = "001010123456789";

    /**
     * @return TS 35.208 test set 1 with the seed's identities.
     */
    public static Subscriber testSet1()
    {
        return new Subscriber(SEED_USER + "@" + SEED_DOMAIN, "sip:" + SEED_USER + "@" + SEED_DOMAIN, SEED_DOMAIN,
            Hex.decode("K", "465b5ce8b199b49faa5f0a2ee238a6bc"), Hex.decode("OPc", "cd63cb71954a9f4e48a5994e37a02baf"),
            0xff9bb4d0b607L, 0xb9b9);
    }

    /**
     * @return Milenage keyed with K and OPc.
     */
    public AkaAlgorithm milenage()
    {
        return Milenage.withOpc(k, opc);
    }

    /**
     * @return the AMF as two bytes.
     */
    public byte[] amfBytes()
    {
        return new byte[]{ (byte)(amf >>> 8), (byte)amf };
    }

    /**
     * Read a subscriber file; keys not given keep test set 1's values.
     *
     * @param file the file.
     * @return the subscriber.
     * @throws IllegalArgumentException one line naming the file, line and key at fault (never a key's value).
     */
    public static Subscriber read(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(file + ": cannot read: " + ex.getClass().getSimpleName());
        }
        final Map<String, String> values = new HashMap<>();
        final Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int eq = line.indexOf('=');
            final String key = (eq < 0 ? line : line.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
            if (eq < 0 || !List.of("impi", "impu", "domain", "k", "op", "opc", "sqn", "amf").contains(key))
            {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected impi|impu|domain|k|op|opc|sqn|amf = value, got '" +
                    (eq < 0 ? "(no =)" : key) + "'");
            }
            values.put(key, line.substring(eq + 1).strip());
            lineOf.put(key, i + 1);
        }
        final Subscriber base = testSet1();
        try
        {
            if (values.containsKey("op") && values.containsKey("opc"))
            {
                throw new IllegalArgumentException("op: give op or opc, not both");
            }
            final byte[] k = values.containsKey("k") ? Hex.decode("k", values.get("k"), 16) : base.k;
            final byte[] opc = values.containsKey("opc") ? Hex.decode("opc", values.get("opc"), 16) :
                values.containsKey("op") ? Milenage.withOp(k, Hex.decode("op", values.get("op"), 16)).opc() : base.opc;
            final String domain = values.getOrDefault("domain", base.domain);
            final String impi = values.getOrDefault("impi", base.impi);
            final String impu = values.getOrDefault("impu", "sip:" + impi);
            final long sqn = values.containsKey("sqn") ? number("sqn", values.get("sqn"), 0xFFFF_FFFF_FFFFL) : base.sqn;
            final int amf = values.containsKey("amf") ? (int)number("amf", values.get("amf"), 0xFFFF) : base.amf;
            return new Subscriber(impi, impu, domain, k, opc, sqn, amf);
        }
        catch (final IllegalArgumentException ex)
        {
            final String message = ex.getMessage();
            final String key = message.substring(0, Math.max(0, message.indexOf(':'))).toLowerCase(Locale.ROOT);
            throw new IllegalArgumentException(file + (lineOf.containsKey(key) ? ":" + lineOf.get(key) : "") + ": " +
                message);
        }
    }

    private static long number(final String key, final String text, final long max)
    {
        final byte[] bytes = Hex.decode(key, text);
        if (bytes.length == 0 || bytes.length > 8)
        {
            throw new IllegalArgumentException(key + ": expected hex digits");
        }
        long value = 0;
        for (final byte b : bytes)
        {
            value = (value << 8) | (b & 0xFF);
        }
        if (value < 0 || value > max)
        {
            throw new IllegalArgumentException(key + ": out of range");
        }
        return value;
    }

    public String toString()
    {
        return "Subscriber{impi=" + impi + ", impu=" + impu + ", domain=" + domain + ", k/opc: redacted, sqn=" +
            Long.toHexString(sqn) + ", amf=" + Integer.toHexString(amf) + "}";
    }
}
