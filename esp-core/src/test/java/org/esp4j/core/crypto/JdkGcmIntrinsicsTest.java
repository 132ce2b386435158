package org.esp4j.core.crypto;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which GCM path a JVM gets: the JDK's intrinsics where the build opens {@code com.sun.crypto.provider} (surefire's
 * {@code argLine} does), the Java path in a JVM without the flag, without C2 or with {@code esp4j.gcm.intrinsics=off},
 * each with the right tag (GCM test case 4, McGrew and Viega).
 */
class JdkGcmIntrinsicsTest
{
    private static final String CASE_4_TAG = "5bc94fbc3221a5db94fae95ae7121a47";

    @Test
    void shouldRunOnTheJdkIntrinsicsWhenTheJvmOpensTheirPackage()
    {
        assertTrue(JdkGcmIntrinsics.AVAILABLE, JdkGcmIntrinsics.REASON);
        assertEquals("jdk-intrinsics", GcmEngine.implementation());
        assertTrue(new GcmEngine(new byte[16]).intrinsics());
    }

    @Test
    void shouldFallBackToJavaInAJvmWithoutTheAddOpens() throws Exception
    {
        assertEquals("java (the JVM needs --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED)" +
            " intrinsics=false tag=" + CASE_4_TAG, probe());
    }

    @Test
    void shouldFallBackToJavaWhenTurnedOff() throws Exception
    {
        assertEquals("java (esp4j.gcm.intrinsics=off) intrinsics=false tag=" + CASE_4_TAG,
            probe("--add-opens", "java.base/com.sun.crypto.provider=ALL-UNNAMED", "-Desp4j.gcm.intrinsics=off"));
    }

    @Test
    void shouldFallBackToJavaInAJvmWithoutC2() throws Exception
    {
        assertEquals("java (the JVM has no C2 (-XX:TieredStopAtLevel=1)) intrinsics=false tag=" + CASE_4_TAG,
            probe("--add-opens", "java.base/com.sun.crypto.provider=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"));
    }

    @Test
    void shouldTakeTheIntrinsicsInAJvmWithTheAddOpens() throws Exception
    {
        assertEquals("jdk-intrinsics intrinsics=true tag=" + CASE_4_TAG,
            probe("--add-opens", "java.base/com.sun.crypto.provider=ALL-UNNAMED"));
    }

    private static String probe(final String... jvmArgs) throws Exception
    {
        return ChildJvm.run(GcmPathProbe.class, jvmArgs);
    }
}
