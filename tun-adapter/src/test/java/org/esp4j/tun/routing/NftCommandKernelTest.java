package org.esp4j.tun.routing;

import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NftCommand} against the kernel (root): scripts run in this process through libnftables on one netlink
 * socket kept for the command's life, so no script waits for the kernel's handling of a closed nf_tables socket
 * (an RCU grace period, seconds on a loaded host); errors come back as {@code nft} prints them.
 */
class NftCommandKernelTest
{
    /** {@code NETLINK_NETFILTER}, the protocol column of {@code /proc/net/netlink}. */
    private static final int NETLINK_NETFILTER = 12;

    private final String table = "esp4j_nftcmd_" + ProcessHandle.current().pid();
    private NftCommand nft;

    @BeforeEach
    void requireRoot()
    {
        RootAssumptions.assumeRootOrCi();
        nft = new NftCommand();
    }

    @AfterEach
    void removeTable() throws IOException
    {
        if (nft != null)
        {
            nft.run("table inet " + table + "\ndelete table inet " + table + "\n");
        }
    }

    @Test
    void shouldRunScriptsInProcessOnOneNetlinkSocketKeptAcrossScripts() throws Exception
    {
        assertTrue(nft.inProcess(), "libnftables is loaded (package libnftables1, a dependency of nftables)");
        nft.check("table inet " + table + " {\n set s { type ipv6_addr . inet_service; }\n}\n");
        final int sockets = netfilterSockets();
        for (int i = 0; i < 20; i++)
        {
            nft.check("add element inet " + table + " s { 2001:db8::" + Integer.toHexString(i + 1) + " . 5060 }\n");
            if (i % 2 == 1)
            {
                nft.check("delete element inet " + table + " s { 2001:db8::" + Integer.toHexString(i) + " . 5060 }\n");
            }
        }
        assertEquals(sockets, netfilterSockets(), "no netlink socket opened (or closed) per script");
        final String listing = nft.check("list set inet " + table + " s\n").output();
        for (int i = 1; i <= 20; i++)
        {
            assertEquals(i % 2 == 0, listing.contains("2001:db8::" + Integer.toHexString(i) + " . 5060"),
                "element " + i + " in\n" + listing);
        }
    }

    @Test
    void shouldReturnTheErrorNftPrintsForAScriptTheKernelRefuses() throws Exception
    {
        final IpCommand.Result result = nft.run("add chain inet " + table + "_absent c\n");
        assertFalse(result.ok());
        assertTrue(result.error().contains("Error:") && result.error().contains("No such file or directory"),
            result.error());
        final IOException failure = assertThrows(IOException.class,
            () -> nft.check("add chain inet " + table + "_absent c\n"));
        assertTrue(failure.getMessage().contains("Error:"), failure.getMessage());
        assertTrue(nft.check("list tables\n").ok(), "the context works on after an error");
    }

    @Test
    void shouldRunANamedExecutableAsAChild()
    {
        assertFalse(new NftCommand("/nonexistent/nft").inProcess());
        assertFalse(new NftCommand("/nonexistent/nft").available());
    }

    /** @return this process's NETLINK_NETFILTER sockets (its socket inodes that /proc/self/net/netlink lists). */
    private static int netfilterSockets() throws IOException
    {
        final Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path fd : fds)
            {
                try
                {
                    final String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:["))
                    {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                }
                catch (final IOException ex)
                {
                    // closed meanwhile
                }
            }
        }
        int count = 0;
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/net/netlink"));
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] fields = line.trim().split("\\s+");
            count += Integer.parseInt(fields[1]) == NETLINK_NETFILTER && inodes.contains(fields[9]) ? 1 : 0;
        }
        return count;
    }
}
