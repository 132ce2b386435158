package org.esp4j.sip.aka;


import org.esp4j.core.text.Hex;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HTTP Digest with AKA passwords.
 * <ul>
 * <li>AKAv1-MD5 (RFC 3310 §3.2): the password is RES as raw bytes. On a synchronisation failure the response is
 * computed with an empty password and {@code auts} is added (§3.3); when the client finds the network not authentic
 * (MAC failure) it answers with an empty password and no {@code auts} (§3.4).</li>
 * <li>AKAv2-MD5 (RFC 4169 §3): the password is base64(HMAC-MD5(RES || IK || CK, "http-digest-akav2-password")).</li>
 * <li>The digest itself is RFC 2617 §3.2.2 with MD5, with or without {@code qop=auth}.</li>
 * </ul>
 */
public final class DigestAka
{
    private static final byte[] AKAV2_PASSWORD_LABEL = "http-digest-akav2-password".getBytes(StandardCharsets.US_ASCII);

    /**
     * The AKA digest algorithms.
     */
    public enum Version
    {
        AKA_V1_MD5("AKAv1-MD5"),
        AKA_V2_MD5("AKAv2-MD5");

        private final String token;

        Version(final String token)
        {
            this.token = token;
        }

        /**
         * @return the {@code algorithm} token.
         */
        public String token()
        {
            return token;
        }

        /**
         * @param algorithm the {@code algorithm} directive, any case; null means AKAv1-MD5 was not stated.
         * @return the version, or null when the algorithm is not an AKA one.
         */
        public static Version fromToken(final String algorithm)
        {
            if (algorithm == null)
            {
                return null;
            }
            final String lower = algorithm.toLowerCase(Locale.ROOT);
            if (lower.equals("akav1-md5"))
            {
                return AKA_V1_MD5;
            }
            if (lower.equals("akav2-md5"))
            {
                return AKA_V2_MD5;
            }
            return null;
        }
    }

    /** One per thread: MessageDigest.getInstance looks the provider up on every call. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(DigestAka::newMd5);

    private DigestAka()
    {
    }

    /**
     * The digest password for an AKA version.
     *
     * @param version AKAv1 or AKAv2.
     * @param res     RES.
     * @param ik      IK (AKAv2 only).
     * @param ck      CK (AKAv2 only).
     * @return the password bytes.
     */
    public static byte[] password(final Version version, final byte[] res, final byte[] ik, final byte[] ck)
    {
        if (version == Version.AKA_V1_MD5)
        {
            return res.clone();
        }
        final byte[] key = new byte[res.length + ik.length + ck.length];
        System.arraycopy(res, 0, key, 0, res.length);
        System.arraycopy(ik, 0, key, res.length, ik.length);
        System.arraycopy(ck, 0, key, res.length + ik.length, ck.length);
        try
        {
            final Mac hmac = Mac.getInstance("HmacMD5");
            hmac.init(new SecretKeySpec(key, "HmacMD5"));
            return Base64.getEncoder().encode(hmac.doFinal(AKAV2_PASSWORD_LABEL));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacMD5 is not available", ex);
        }
    }

    /**
     * RFC 2617 §3.2.2.1 request-digest with MD5.
     *
     * @param username  the username directive.
     * @param realm     the realm.
     * @param password  password bytes (RES for AKAv1, possibly empty).
     * @param method    the request method, e.g. {@code REGISTER}.
     * @param digestUri the uri directive.
     * @param nonce     the nonce.
     * @param nc        nonce count, 8 hex digits; null without qop.
     * @param cnonce    client nonce; null without qop.
     * @param qop       {@code auth}, or null for the RFC 2069 form.
     * @return 32 lower-case hex digits.
     */
    public static String response(
        final String username,
        final String realm,
        final byte[] password,
        final String method,
        final String digestUri,
        final String nonce,
        final String nc,
        final String cnonce,
        final String qop)
    {
        final MessageDigest md5 = md5();
        md5.update(ascii(username + ":" + realm + ":"));
        md5.update(password);
        final String ha1 = Hex.encode(md5.digest());
        final String ha2 = Hex.encode(md5.digest(ascii(method + ":" + digestUri)));
        final String input = qop == null ?
            ha1 + ":" + nonce + ":" + ha2 :
            ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2;
        return Hex.encode(md5.digest(ascii(input)));
    }

    /**
     * Verify the response directive of Authorization credentials.
     *
     * @param credentials the Authorization value.
     * @param method      request method.
     * @param password    the expected password.
     * @return true when the response matches.
     */
    public static boolean verify(final DigestParams credentials, final String method, final byte[] password)
    {
        final String expected = response(
            value(credentials.get("username")),
            value(credentials.get("realm")),
            password,
            method,
            value(credentials.get("uri")),
            value(credentials.get("nonce")),
            credentials.get("nc"),
            credentials.get("cnonce"),
            credentials.get("qop"));
        final String actual = credentials.get("response");
        return actual != null && MessageDigest.isEqual(ascii(expected), ascii(actual.toLowerCase(Locale.ROOT)));
    }

    private static String value(final String text)
    {
        return text == null ? "" : text;
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static MessageDigest md5()
    {
        final MessageDigest md5 = MD5.get();
        md5.reset();
        return md5;
    }

    private static MessageDigest newMd5()
    {
        try
        {
            return MessageDigest.getInstance("MD5");
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("MD5 is not available", ex);
        }
    }
}
