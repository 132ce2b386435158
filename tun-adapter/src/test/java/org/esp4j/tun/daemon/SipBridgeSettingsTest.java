package org.esp4j.tun.daemon;

import org.esp4j.sip.lifecycle.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the SIP bridge's subscriber keys come from, and that no error shows them. */
class SipBridgeSettingsTest
{
    private static final String K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    private static final String OPC = "cd63cb71954a9f4e48a5994e37a02baf";

    @TempDir
    Path dir;

    @Test
    void shouldRefuseUeRoleWithoutKeys()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SipBridgeSettings.from(config("sip.role=ue"), Map.of()));

        assertTrue(ex.getMessage().startsWith("the UE role needs the subscriber's keys: --subscriber FILE"),
            ex.getMessage());
    }

    @Test
    void shouldLetPcscfRoleRunWithoutKeys() throws Exception
    {
        final SipBridgeSettings settings = SipBridgeSettings.from(config("sip.role=pcscf"), Map.of());

        assertEquals(Role.PCSCF, settings.role());
        assertNull(settings.aka());
    }

    @Test
    void shouldReadKeyFileNamedRelativeToTheConfig() throws Exception
    {
        keyFile("ue.keys", "rw-------", "k=" + K + "\nopc=" + OPC + "\n");

        final SipBridgeSettings settings = SipBridgeSettings.from(config("sip.role=ue", "sip.keyfile=ue.keys"),
            Map.of());

        assertNotNull(settings.aka());
        assertEquals("milenage", settings.algorithmName());
    }

    @Test
    void shouldRefuseKeyFileThatGroupCanRead() throws Exception
    {
        keyFile("ue.keys", "rw-r-----", "k=" + K + "\nopc=" + OPC + "\n");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SipBridgeSettings.from(config("sip.role=ue", "sip.keyfile=ue.keys"), Map.of()));

        assertTrue(ex.getMessage().contains("ue.keys: permissions rw-r----- are too open"), ex.getMessage());
    }

    @Test
    void shouldTakeKeysFromEnvironmentAndAlgorithmFromKeyFile() throws Exception
    {
        final SipBridgeSettings fromEnvironment = SipBridgeSettings.from(config("sip.role=ue"),
            Map.of("ESP4J_K", K, "ESP4J_OPC", OPC));
        assertNotNull(fromEnvironment.aka());

        keyFile("usim.keys", "rw-------", "k=" + K + "\nalgorithm=test-usim\n");
        final SipBridgeSettings fromFile = SipBridgeSettings.from(config("sip.role=ue", "sip.keyfile=usim.keys"),
            Map.of());
        assertEquals("test-usim", fromFile.algorithmName());
    }

    @Test
    void shouldNotEchoAKeyInAMalformedConfigLine() throws Exception
    {
        final Path file = dir.resolve("daemon.conf");
        Files.writeString(file, "sip.role=ue\nsip.k " + K + "\n");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.parse(file));

        assertEquals(file + ":2: expected key=value, got a line starting 'sip.k'", ex.getMessage());
    }

    @Test
    void shouldNotEchoAKeyGivenAsTheNameOfASetting() throws Exception
    {
        final Path file = dir.resolve("daemon.conf");
        Files.writeString(file, K + "=" + OPC + "\n");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.parse(file));

        assertTrue(ex.getMessage().startsWith("unknown setting '<redacted hex, 32 digits>'"), ex.getMessage());
    }

    @Test
    void shouldNameTheSettingNotTheValueOfABadKey()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SipBridgeSettings.from(config("sip.role=ue", "sip.k=" + K + "00", "sip.opc=" + OPC), Map.of()));

        assertFalse(ex.getMessage().contains(K.substring(0, 8)), ex.getMessage());
        assertTrue(ex.getMessage().contains(": k: expected 16 bytes"), ex.getMessage());
    }

    @Test
    void shouldTakeManySubscribersKeysByImpiFromAnOwnerOnlySubscriberFile() throws Exception
    {
        keyFile("farm.subscribers", "rw-------", "impi = 001010123456789@ims.mnc01.mcc001.3gppnetwork.org\n" +
            "k = " + K + "\nopc = " + OPC + "\ncount = 1000\n");

        final SipBridgeSettings settings = SipBridgeSettings.from(config("sip.role=ue",
            "sip.subscribers=farm.subscribers"), Map.of());

        assertEquals(Role.UE, settings.role());
        assertNotNull(settings.keyring().algorithmFor("001010123457788@ims.mnc01.mcc001.3gppnetwork.org"));
        assertNull(settings.keyring().algorithmFor("001010123457789@ims.mnc01.mcc001.3gppnetwork.org"));
        assertFalse(settings.toString().contains(K), settings.toString());

        keyFile("open.subscribers", "rw-r--r--", "impi = a@b\nk = " + K + "\n");
        final IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
            () -> SipBridgeSettings.from(config("sip.role=ue", "sip.subscribers=open.subscribers"), Map.of()));
        assertTrue(open.getMessage().startsWith("sip.subscribers: ") && open.getMessage().contains("chmod 600"),
            open.getMessage());
        assertFalse(open.getMessage().contains(K));
    }

    private DaemonConfig config(final String... lines) throws java.io.IOException
    {
        final Path file = dir.resolve("daemon.conf");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return DaemonConfig.parse(file);
    }

    private void keyFile(final String name, final String permissions, final String text) throws java.io.IOException
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }
}
