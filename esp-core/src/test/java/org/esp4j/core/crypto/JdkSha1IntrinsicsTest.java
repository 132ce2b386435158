package org.esp4j.core.crypto;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which path HMAC-SHA-1 takes: the JDK's SHA-1 compression from the key blocks' state where the build opens
 * {@code sun.security.provider} (surefire's {@code argLine} does), the public {@code MessageDigest} in a JVM without
 * the flag or with {@code esp4j.sha1.intrinsics=off}, each with RFC 2202's MAC for test case 1.
 */
class JdkSha1IntrinsicsTest
{
    private static final String CASE_1_MAC = "b617318655057264e28bc0b6fb378c8ef146be00";

    @Test
    void shouldHashFromTheKeyBlocksStateWhenTheJvmOpensTheProvider()
    {
        assertTrue(JdkSha1Intrinsics.AVAILABLE, JdkSha1Intrinsics.REASON);
        assertEquals("jdk-sha1-state", new HmacEngine(IntegrityAlgorithm.HMAC_SHA1_96, new byte[20]).implementation());
    }

    @Test
    void shouldKeepTheDigestForOtherHashes()
    {
        assertEquals("digest (not SHA-1)",
            new HmacEngine(IntegrityAlgorithm.HMAC_SHA256_128, new byte[32]).implementation());
        assertEquals("digest (not SHA-1)", new HmacEngine(IntegrityAlgorithm.HMAC_MD5_96, new byte[16]).implementation());
    }

    @Test
    void shouldFallBackToTheDigestInAJvmWithoutTheAddOpens() throws Exception
    {
        assertEquals("digest (the JVM needs --add-opens java.base/sun.security.provider=ALL-UNNAMED) mac=" + CASE_1_MAC,
            probe());
    }

    @Test
    void shouldFallBackToTheDigestWhenTurnedOff() throws Exception
    {
        assertEquals("digest (esp4j.sha1.intrinsics=off) mac=" + CASE_1_MAC,
            probe("--add-opens", "java.base/sun.security.provider=ALL-UNNAMED", "-Desp4j.sha1.intrinsics=off"));
    }

    @Test
    void shouldTakeTheKeyBlocksStateInAJvmWithTheAddOpens() throws Exception
    {
        assertEquals("jdk-sha1-state mac=" + CASE_1_MAC,
            probe("--add-opens", "java.base/sun.security.provider=ALL-UNNAMED"));
    }

    private static String probe(final String... jvmArgs) throws Exception
    {
        return ChildJvm.run(Sha1PathProbe.class, jvmArgs);
    }
}
