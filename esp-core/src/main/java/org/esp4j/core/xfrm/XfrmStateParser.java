package org.esp4j.core.xfrm;

import org.esp4j.core.replay.ReplayWindow;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.selector.TrafficSelector;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Reads the arguments of {@code ip xfrm state add} (into an {@link SaConfig}) and of {@code ip xfrm state
 * delete|get} (into an {@link XfrmStateId}), as ip-xfrm(8) writes them:
 * <pre>
 * src ADDR dst ADDR proto esp spi SPI [mode transport] [reqid N] [replay-window N] [flag FLAG...]
 *     { { auth ALGO KEY | auth-trunc ALGO KEY BITS } enc ALGO KEY | aead ALGO KEY ICV-BITS }
 *     [sel SELECTOR] [limit LIMIT VALUE]... [encap espinudp SPORT DPORT OADDR]
 * </pre>
 * Keywords may come in any order; each field once. Numbers are as iproute2 reads them (decimal, {@code 0x} hex,
 * {@code 0} octal); the SPI is unsigned 32-bit. Keys are {@code 0x} hex or a word whose bytes are the key, {@code ""}
 * for none. Algorithms: {@code hmac(md5)}, {@code hmac(sha1)}, {@code hmac(sha256)} (also the kernel's short names
 * {@code md5}, {@code sha1}, {@code sha256} and the TS 33.203 names {@code hmac-md5-96}, {@code hmac-sha-1-96});
 * {@code cbc(aes)}, {@code cbc(des3_ede)}, {@code ecb(cipher_null)} (also {@code aes}, {@code des3_ede},
 * {@code cipher_null} and {@code aes-cbc}, {@code des-ede3-cbc}, {@code null}). Combined-mode (AEAD) algorithms,
 * with the AES key and 32-bit salt as one key and the ICV length in bits: {@code rfc4106(gcm(aes))} with 64, 96 or
 * 128 (RFC 4106; also {@code aes-gcm}) and {@code rfc4543(gcm(aes))} with 128 (RFC 4543 AES-GMAC, integrity only;
 * also {@code aes-gmac}). As the kernel does, {@code aead} is refused together with {@code auth} or {@code enc}.
 * <p>
 * Differences from iproute2, all on the side of saying no or being explicit:
 * <ul>
 *     <li>{@code auth ALGO KEY} uses the RFC ICV length (96 for MD5 and SHA-1, 128 for SHA-256 per RFC 4868).
 *         Linux uses 96 for {@code hmac(sha256)} for historical reasons; write {@code auth-trunc} to be explicit.</li>
 *     <li>Without {@code replay-window} the window is {@link SaConfig.Builder}'s default (64, RFC 4303 §3.4.3),
 *         where iproute2 sends 0.</li>
 *     <li>Only {@code proto esp} and {@code mode transport}; {@code comp}, {@code mark} and the other kernel features
 *         esp4j lacks are refused by name rather than ignored, and so are the kernel's other AEADs (CCM,
 *         ChaCha20-Poly1305).</li>
 *     <li>{@code flag noecn|decap-dscp|nopmtudisc|align4} are accepted and ignored: they only act on tunnel mode or
 *         AH. {@code flag esn} and {@code flag icmp} (ICMP errors about the SA's flow go through the SA, as Linux's
 *         {@code XFRM_STATE_ICMP}) are used; other flags are refused.</li>
 *     <li>{@code encap espinudp} only (RFC 3948); the OADDR is checked but not kept (NAT-OA is for tunnel mode and
 *         checksum fix-ups esp4j does not do).</li>
 * </ul>
 * Everything {@link SaConfig.Builder} validates is validated; its refusals come back as {@link XfrmSyntaxException}
 * naming the word at fault, and never the key bytes.
 */
public final class XfrmStateParser
{
    private static final long U32_MAX = 0xFFFF_FFFFL;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final String AEAD_ALONE =
        "KEYWORD cannot be used with OTHER: an AEAD encrypts and authenticates by itself (RFC 4303 3.2.3)";

    private XfrmStateParser()
    {
    }

    /**
     * @param arguments the words after {@code ip xfrm state add}.
     * @return the SA.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static SaConfig parseAdd(final CharSequence arguments)
    {
        return parseAdd(XfrmTokenizer.tokenize(arguments, null), 0, null);
    }

    /**
     * @param arguments  the words after {@code ip xfrm state add}.
     * @param lineNumber line number for messages ({@code line 3: ...}).
     * @return the SA.
     * @throws XfrmSyntaxException naming the line and the word at fault.
     */
    public static SaConfig parseAdd(final CharSequence arguments, final int lineNumber)
    {
        final String location = "line " + lineNumber;
        return parseAdd(XfrmTokenizer.tokenize(arguments, location), 0, location);
    }

    /**
     * @param tokens   the line's words.
     * @param from     index of the first argument word (after any {@code ip xfrm state add} prefix).
     * @param location {@code line 3}, {@code sa.conf:3}, or null.
     * @return the SA.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static SaConfig parseAdd(final List<XfrmToken> tokens, final int from, final String location)
    {
        return new AddParser(new XfrmCursor(tokens, from, location)).parse();
    }

    /**
     * @param arguments the words after {@code ip xfrm state delete} or {@code get}: {@code [src ADDR] dst ADDR proto
     *                  esp spi SPI}.
     * @return which SA.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static XfrmStateId parseId(final CharSequence arguments)
    {
        return parseId(XfrmTokenizer.tokenize(arguments, null), 0, null);
    }

    /**
     * @param arguments  the words after {@code ip xfrm state delete} or {@code get}.
     * @param lineNumber line number for messages ({@code line 3: ...}).
     * @return which SA.
     * @throws XfrmSyntaxException naming the line and the word at fault.
     */
    public static XfrmStateId parseId(final CharSequence arguments, final int lineNumber)
    {
        final String location = "line " + lineNumber;
        return parseId(XfrmTokenizer.tokenize(arguments, location), 0, location);
    }

    /**
     * @param tokens   the line's words.
     * @param from     index of the first argument word.
     * @param location {@code line 3}, {@code sa.conf:3}, or null.
     * @return which SA.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static XfrmStateId parseId(final List<XfrmToken> tokens, final int from, final String location)
    {
        final XfrmCursor cursor = new XfrmCursor(tokens, from, location);
        final IdFields id = new IdFields(cursor);
        while (cursor.hasNext())
        {
            final XfrmToken token = cursor.next();
            if (!id.accept(token))
            {
                if ("mark".equals(token.text()))
                {
                    throw cursor.error(token, "'mark' is not supported");
                }
                throw cursor.unexpected(token, "ip xfrm state delete|get (src, dst, proto, spi)");
            }
        }
        id.checkComplete(false);
        return new XfrmStateId(id.source, id.destination, id.spi);
    }

    /** The ID fields shared by add and delete|get: src, dst, proto, spi. */
    private static final class IdFields
    {
        private final XfrmCursor cursor;
        private InetAddress source;
        private InetAddress destination;
        private XfrmToken destinationToken;
        private XfrmToken spiToken;
        private long spi = -1;
        private boolean esp;

        IdFields(final XfrmCursor cursor)
        {
            this.cursor = cursor;
        }

        boolean accept(final XfrmToken token)
        {
            switch (token.text())
            {
                case "src" ->
                {
                    cursor.once(token, "src");
                    source = cursor.address(token, "src address");
                }
                case "dst" ->
                {
                    cursor.once(token, "dst");
                    destination = cursor.address(token, "dst address");
                    destinationToken = token;
                }
                case "proto" ->
                {
                    cursor.once(token, "proto");
                    final XfrmToken value = cursor.value(token, "XFRM-PROTO");
                    switch (value.text())
                    {
                        case "esp" -> esp = true;
                        case "ah", "comp", "route2", "hao", "ipsec-any" ->
                            throw cursor.error(value, "proto " + value.text() + " is not supported: esp only");
                        default -> throw cursor.error(value, "invalid XFRM-PROTO: esp expected");
                    }
                }
                case "spi" ->
                {
                    cursor.once(token, "spi");
                    spi = cursor.unsigned(token, "spi", U32_MAX);
                    cursor.back();
                    spiToken = cursor.next();
                }
                default ->
                {
                    return false;
                }
            }
            return true;
        }

        void checkComplete(final boolean sourceRequired)
        {
            if (sourceRequired && source == null)
            {
                throw cursor.lineError("missing src");
            }
            if (destination == null)
            {
                throw cursor.lineError("missing dst");
            }
            if (!esp)
            {
                throw cursor.lineError("missing proto esp");
            }
            if (spi < 0)
            {
                throw cursor.lineError("missing spi");
            }
            if (source != null && (source instanceof Inet4Address) != (destination instanceof Inet4Address))
            {
                throw cursor.error(destinationToken, "src and dst are of different address families");
            }
        }
    }

    /** One {@code state add} line. */
    private static final class AddParser
    {
        private final XfrmCursor cursor;
        private final IdFields id;
        private final SaConfig.Builder builder = SaConfig.builder();
        private final SaLifetimeConfig.Builder lifetime = SaLifetimeConfig.builder();
        private XfrmToken esnToken;
        private long replayWindow = -1;
        private XfrmToken selectorToken;
        private TrafficSelector selector;
        private XfrmToken previousKeyword;

        AddParser(final XfrmCursor cursor)
        {
            this.cursor = cursor;
            this.id = new IdFields(cursor);
        }

        SaConfig parse()
        {
            while (cursor.hasNext())
            {
                final XfrmToken token = cursor.next();
                if (!id.accept(token))
                {
                    clause(token);
                }
                previousKeyword = token;
            }
            return finish();
        }

        private void clause(final XfrmToken token)
        {
            switch (token.text())
            {
                case "mode" -> mode(token);
                case "reqid" ->
                {
                    cursor.once(token, "reqid");
                    builder.reqid((int)cursor.unsigned(token, "reqid", U32_MAX));
                }
                case "replay-window" -> replayWindow(token);
                case "flag" -> flags(token);
                case "auth", "auth-trunc" -> integrity(token);
                case "enc" -> encryption(token);
                case "aead" -> aead(token);
                case "comp" -> throw cursor.error(token, "comp (IPComp) is not supported");
                case "sel" -> selector(token);
                case "limit" -> limit(token);
                case "encap" -> encapsulation(token);
                case "mark", "seq", "replay-seq", "replay-oseq", "replay-seq-hi", "replay-oseq-hi", "extra-flag",
                    "coa", "ctx", "offload", "output-mark", "if_id", "tfcpad", "iptfs-opts" ->
                    throw cursor.error(token, "'" + token.text() + "' is not supported");
                default -> throw unexpected(token);
            }
        }

        private XfrmSyntaxException unexpected(final XfrmToken token)
        {
            if (previousKeyword != null && "auth".equals(previousKeyword.text()) &&
                XfrmNumbers.parseUnsigned(token.text(), U32_MAX) != XfrmNumbers.INVALID)
            {
                return cursor.error(token,
                    "unexpected value where a keyword was expected (auth takes no length: use auth-trunc ALGO KEY BITS)");
            }
            return cursor.unexpected(token, "ip xfrm state add");
        }

        private void mode(final XfrmToken token)
        {
            cursor.once(token, "mode");
            final XfrmToken value = cursor.value(token, "mode");
            switch (value.text())
            {
                case SaConfig.MODE_TRANSPORT ->
                {
                }
                case "tunnel", "beet", "ro", "in_trigger", "iptfs" ->
                    throw cursor.error(value, "mode " + value.text() + " is not supported: transport only");
                default -> throw cursor.error(value, "invalid mode: transport expected");
            }
        }

        private void replayWindow(final XfrmToken token)
        {
            cursor.once(token, "replay-window");
            replayWindow = cursor.unsigned(token, "replay-window", Long.MAX_VALUE);
            if (replayWindow > ReplayWindow.MAX_WINDOW_SIZE)
            {
                cursor.back();
                // esp4j's limit, not the 32-bit field's: the same words as SaConfig's check below
                throw cursor.error(cursor.next(), "replay-window must be 0.." + ReplayWindow.MAX_WINDOW_SIZE + ": " +
                    replayWindow);
            }
            try
            {
                builder.replayWindowSize((int)Math.min(replayWindow, Integer.MAX_VALUE));
            }
            catch (final IllegalArgumentException ex)
            {
                cursor.back();
                throw cursor.error(cursor.next(), ex.getMessage());
            }
        }

        private void flags(final XfrmToken token)
        {
            int count = 0;
            while (cursor.hasNext())
            {
                final XfrmToken flag = cursor.next();
                switch (flag.text())
                {
                    case "esn" ->
                    {
                        esnToken = flag;
                        builder.esn(true);
                    }
                    // Tunnel-mode (ECN, DSCP, DF) and AH (alignment) behaviour: no effect on transport-mode ESP.
                    case "noecn", "decap-dscp", "nopmtudisc", "align4" ->
                    {
                    }
                    case "icmp" -> builder.icmp(true);
                    case "wildrecv", "af-unspec" ->
                        throw cursor.error(flag, "flag " + flag.text() + " is not supported");
                    default ->
                    {
                        if (count == 0)
                        {
                            throw cursor.error(flag, flag.text().startsWith("0x") ?
                                "numeric flag values are not supported: name the flags (esn, icmp)" : "unknown flag");
                        }
                        cursor.back();
                        return;
                    }
                }
                count++;
            }
            if (count == 0)
            {
                throw cursor.error(token, "missing flag after 'flag'");
            }
        }

        private void integrity(final XfrmToken token)
        {
            cursor.once(token, "auth");
            refuseNextToAead(token);
            final XfrmToken name = cursor.value(token, "auth algorithm");
            final IntegrityAlgorithm algorithm = integrityAlgorithm(name.text());
            if (algorithm == null)
            {
                throw unknownAlgorithm(name, "unknown auth algorithm", "auth-trunc".equals(token.text()));
            }
            final XfrmToken keyToken = cursor.value(token, "auth key");
            final byte[] key = key(keyToken);
            int icvBits = algorithm.defaultIcvLengthBits();
            XfrmToken bitsToken = name;
            if ("auth-trunc".equals(token.text()))
            {
                bitsToken = cursor.value(token, "auth-trunc length in bits");
                final long bits = XfrmNumbers.parseUnsigned(bitsToken.text(), U32_MAX);
                if (bits == XfrmNumbers.INVALID)
                {
                    throw cursor.error(bitsToken, "invalid auth-trunc length: a number of bits");
                }
                icvBits = (int)Math.min(bits, Integer.MAX_VALUE);
            }
            try
            {
                builder.integrity(algorithm, key, icvBits);
            }
            catch (final IllegalArgumentException ex)
            {
                throw key.length != algorithm.keyLengthBytes() ?
                    cursor.keyError(keyToken, ex.getMessage()) : cursor.error(bitsToken, ex.getMessage());
            }
        }

        private void encryption(final XfrmToken token)
        {
            cursor.once(token, "enc");
            refuseNextToAead(token);
            final XfrmToken name = cursor.value(token, "enc algorithm");
            final EncryptionAlgorithm algorithm = encryptionAlgorithm(name.text());
            if (algorithm == null)
            {
                throw unknownAlgorithm(name, "unknown enc algorithm", false);
            }
            if (algorithm.combinedMode())
            {
                throw cursor.error(name, name.text() + " is an AEAD: write aead '" + algorithm.xfrmName() +
                    "' KEY ICV-BITS in place of auth and enc");
            }
            final XfrmToken keyToken = cursor.value(token, "enc key");
            final byte[] key = key(keyToken);
            try
            {
                builder.encryption(algorithm, key);
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.keyError(keyToken, ex.getMessage());
            }
        }

        /**
         * {@code aead ALGO KEY ICV-BITS}: one combined-mode transform in place of auth and enc (RFC 4303 §3.2.3).
         * The ICV length picks the algorithm (RFC 4106 has one per length, as IKEv2 does).
         */
        private void aead(final XfrmToken token)
        {
            cursor.once(token, "aead");
            if (cursor.given("auth") || cursor.given("enc"))
            {
                throw cursor.error(token, AEAD_ALONE.replace("KEYWORD", "aead").replace("OTHER", "auth or enc"));
            }
            final XfrmToken name = cursor.value(token, "aead algorithm");
            if (!EncryptionAlgorithm.isAeadName(name.text()))
            {
                if (encryptionAlgorithm(name.text()) != null)
                {
                    throw cursor.error(name, name.text() + " is not an AEAD: use enc with auth or auth-trunc");
                }
                throw unknownAlgorithm(name, "unknown aead algorithm: rfc4106(gcm(aes)) or rfc4543(gcm(aes))", true);
            }
            final String family = EncryptionAlgorithm.lookup(name.text()).xfrmName();
            final XfrmToken keyToken = cursor.value(token, "aead key");
            final byte[] key = key(keyToken);
            final XfrmToken bitsToken = cursor.value(token, "aead ICV length in bits");
            final long bits = XfrmNumbers.parseUnsigned(bitsToken.text(), U32_MAX);
            if (bits == XfrmNumbers.INVALID)
            {
                throw cursor.error(bitsToken, "invalid aead ICV length: a number of bits");
            }
            final EncryptionAlgorithm algorithm =
                EncryptionAlgorithm.lookupAead(name.text(), (int)Math.min(bits, Integer.MAX_VALUE));
            if (algorithm == null)
            {
                throw cursor.error(bitsToken, "aead ICV length for " + family + " must be " + icvLengths(family) +
                    " bits, got " + bits);
            }
            try
            {
                builder.encryption(algorithm, key);
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.keyError(keyToken, ex.getMessage());
            }
        }

        private void refuseNextToAead(final XfrmToken token)
        {
            if (cursor.given("aead"))
            {
                throw cursor.error(token, AEAD_ALONE.replace("KEYWORD", token.text()).replace("OTHER", "aead"));
            }
        }

        /**
         * An unknown algorithm name is printed, unless the words after it show the name was left out and this word
         * is the key: then nothing follows, or what follows is a keyword (or, for auth-trunc, the bit count).
         */
        private XfrmSyntaxException unknownAlgorithm(final XfrmToken name, final String reason, final boolean trunc)
        {
            if (!cursor.hasNext())
            {
                return cursor.keyError(name, reason);
            }
            final String next = cursor.peek().text();
            final boolean shifted = trunc ?
                XfrmNumbers.parseUnsigned(next, U32_MAX) != XfrmNumbers.INVALID : isKeyword(next);
            return shifted ? cursor.keyError(name, reason) : cursor.error(name, reason);
        }

        private byte[] key(final XfrmToken keyToken)
        {
            try
            {
                return XfrmKeys.parse(keyToken.text());
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.keyError(keyToken, ex.getMessage());
            }
        }

        private void selector(final XfrmToken token)
        {
            cursor.once(token, "sel");
            selectorToken = token;
            final XfrmSelectorParser parser = new XfrmSelectorParser(cursor, false);
            while (cursor.hasNext())
            {
                if (!parser.accept(cursor.next()))
                {
                    cursor.back();
                    break;
                }
            }
            if (!parser.any())
            {
                throw cursor.error(token, "missing selector after 'sel' (src, dst, proto, sport, dport)");
            }
            selector = parser.build();
        }

        private void limit(final XfrmToken token)
        {
            final XfrmToken name = cursor.value(token, "limit name");
            cursor.once(name, "limit " + name.text());
            final long max = name.text().startsWith("time-") ? Long.MAX_VALUE / NANOS_PER_SECOND : Long.MAX_VALUE;
            switch (name.text())
            {
                case "time-soft" -> lifetime.softAddExpiresNs(cursor.unsigned(name, "seconds", max) * NANOS_PER_SECOND);
                case "time-hard" -> lifetime.hardAddExpiresNs(cursor.unsigned(name, "seconds", max) * NANOS_PER_SECOND);
                case "time-use-soft" ->
                    lifetime.softUseExpiresNs(cursor.unsigned(name, "seconds", max) * NANOS_PER_SECOND);
                case "time-use-hard" ->
                    lifetime.hardUseExpiresNs(cursor.unsigned(name, "seconds", max) * NANOS_PER_SECOND);
                case "byte-soft" -> lifetime.bytesSoftLimit(cursor.unsigned(name, "byte count", max));
                case "byte-hard" -> lifetime.bytesHardLimit(cursor.unsigned(name, "byte count", max));
                case "packet-soft" -> lifetime.packetsSoftLimit(cursor.unsigned(name, "packet count", max));
                case "packet-hard" -> lifetime.packetsHardLimit(cursor.unsigned(name, "packet count", max));
                default -> throw cursor.error(name, "invalid limit: time-soft, time-hard, time-use-soft, " +
                    "time-use-hard, byte-soft, byte-hard, packet-soft or packet-hard");
            }
        }

        private void encapsulation(final XfrmToken token)
        {
            cursor.once(token, "encap");
            final XfrmToken type = cursor.value(token, "encap type");
            switch (type.text())
            {
                case "espinudp" ->
                {
                }
                case "espinudp-nonike", "espintcp" ->
                    throw cursor.error(type, "encap " + type.text() + " is not supported: espinudp (RFC 3948) only");
                default -> throw cursor.error(type, "invalid encap type: espinudp expected");
            }
            final XfrmToken sourcePortToken = cursor.value(token, "encap source port");
            cursor.back();
            final int sourcePort = (int)cursor.unsigned(token, "encap source port", 65535);
            final XfrmToken destinationPortToken = cursor.value(token, "encap destination port");
            cursor.back();
            final int destinationPort = (int)cursor.unsigned(token, "encap destination port", 65535);
            cursor.address(token, "encap OADDR");
            try
            {
                builder.encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, sourcePort, destinationPort);
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.error(sourcePort == 0 ? sourcePortToken : destinationPortToken, ex.getMessage());
            }
        }

        private SaConfig finish()
        {
            if (!id.esp && selector != null && selector.protocol() == 50)
            {
                // As in iproute2, everything selector-like after 'sel' belongs to the selector.
                throw cursor.lineError("missing proto esp: the 'proto esp' after 'sel' was read as the selector's " +
                    "protocol; write sel last, or proto esp before it");
            }
            id.checkComplete(true);
            if (!cursor.given("aead") && !cursor.given("auth"))
            {
                throw cursor.lineError("missing auth or auth-trunc: ESP without integrity is not supported " +
                    "(RFC 4303 3.2.2)");
            }
            if (!cursor.given("aead") && !cursor.given("enc"))
            {
                throw cursor.lineError("missing enc: ip xfrm needs enc with proto esp (enc 'ecb(cipher_null)' \"\" " +
                    "for none)");
            }
            if (esnToken != null && replayWindow == 0)
            {
                throw cursor.error(esnToken, "flag esn needs a replay-window above 0");
            }
            final boolean ipv4 = id.destination instanceof Inet4Address;
            if (selector != null && selector.family() != TrafficSelector.ANY_FAMILY &&
                (selector.family() == 4) != ipv4)
            {
                throw cursor.error(selectorToken, "sel is of another address family than the SA");
            }
            try
            {
                builder.source(id.source).destination(id.destination).lifetime(lifetime.build());
                if (selector != null)
                {
                    builder.selector(selector);
                }
                builder.spi(id.spi);
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.error(id.spiToken, ex.getMessage());
            }
            try
            {
                return builder.build();
            }
            catch (final IllegalArgumentException ex)
            {
                throw cursor.lineError(ex.getMessage());
            }
        }
    }

    private static boolean isKeyword(final String text)
    {
        switch (text)
        {
            case "src", "dst", "proto", "spi", "mode", "reqid", "replay-window", "flag", "auth", "auth-trunc", "enc",
                "aead", "comp", "sel", "limit", "encap" ->
            {
                return true;
            }
            default ->
            {
                return false;
            }
        }
    }

    /**
     * @param name as typed after {@code auth}/{@code auth-trunc}.
     * @return the algorithm, or null if esp4j does not know it.
     */
    static IntegrityAlgorithm integrityAlgorithm(final String name)
    {
        // The kernel's own short names (xfrm_algo.c "compat" names) are accepted as it accepts them.
        switch (name)
        {
            case "md5": return IntegrityAlgorithm.HMAC_MD5_96;
            case "sha1": return IntegrityAlgorithm.HMAC_SHA1_96;
            case "sha256": return IntegrityAlgorithm.HMAC_SHA256_128;
            default:
                final IntegrityAlgorithm algorithm = IntegrityAlgorithm.lookup(name);
                return algorithm == IntegrityAlgorithm.NONE ? null : algorithm;
        }
    }

    /** @return the ICV lengths in bits of an AEAD family, as {@code 64, 96 or 128}. */
    private static String icvLengths(final String xfrmName)
    {
        final StringBuilder sb = new StringBuilder();
        int count = 0;
        for (int bits = 32; bits <= 128; bits += 32)
        {
            final EncryptionAlgorithm algorithm = EncryptionAlgorithm.lookupAead(xfrmName, bits);
            if (algorithm != null)
            {
                count++;
                sb.append(sb.length() == 0 ? "" : ", ").append(bits);
            }
        }
        final int last = sb.lastIndexOf(", ");
        return count > 1 ? sb.replace(last, last + 2, " or ").toString() : sb.toString();
    }

    /**
     * @param name as typed after {@code enc}.
     * @return the algorithm, or null if esp4j does not know it.
     */
    static EncryptionAlgorithm encryptionAlgorithm(final String name)
    {
        switch (name)
        {
            case "aes": return EncryptionAlgorithm.AES_CBC;
            case "des3_ede": return EncryptionAlgorithm.DES_EDE3_CBC;
            default: return EncryptionAlgorithm.lookup(name);
        }
    }
}
