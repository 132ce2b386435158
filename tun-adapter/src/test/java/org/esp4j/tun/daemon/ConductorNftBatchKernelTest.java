package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.routing.InboundClearFilter;
import org.esp4j.tun.routing.NftCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conductor's batches against the kernel's nftables (root, real {@code nft} behind a wrapper that counts its
 * runs): 100 registrations' in-policies queued together become one {@code nft -f} transaction, their removal another,
 * and a daemon that starts over a stale table of a crashed run (elements of registrations that are gone) replaces it
 * with what its SPD holds.
 */
class ConductorNftBatchKernelTest
{
    private static final int REGISTRATIONS = 100;

    private final String tun = "cnb" + ProcessHandle.current().pid() % 100_000;
    private final List<String> log = new ArrayList<>();
    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    @TempDir
    Path dir;
    private Path runs;
    private NftCommand countingNft;
    private InboundClearFilter filter;

    @BeforeEach
    void requireRootAndNft() throws IOException
    {
        RootAssumptions.assumeRootOrCi();
        assertTrue(new NftCommand().available(), "nft must work here as root");
        runs = dir.resolve("runs");
        Files.writeString(runs, "");
        final Path wrapper = dir.resolve("nft");
        Files.writeString(wrapper, "#!/bin/sh\necho run >> '" + runs + "'\nexec nft \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        countingNft = new NftCommand(wrapper.toString());
    }

    @AfterEach
    void cleanUp()
    {
        if (filter != null)
        {
            filter.remove();
        }
    }

    @Test
    void shouldInstallAndRemoveRegistrationsQueuedTogetherWithOneNftRunEach() throws Exception
    {
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        final DaemonConductor conductor = conductor(spd);
        final List<CompletableFuture<Object>> added = new ArrayList<>();
        for (int i = 0; i < REGISTRATIONS; i++)
        {
            final List<PolicyConfig> registration = registration(i);
            added.add(conductor.offer(() -> registration.stream().map(spd::add).toList()));
        }
        conductor.doWork();

        assertTrue(added.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()), log.toString());
        assertEquals(1, nftRuns(), "100 registrations, one transaction (the table's first install)");
        assertEquals(2 * REGISTRATIONS, elements(), "every in-policy an element in the kernel's map");

        for (int i = 0; i < REGISTRATIONS; i++)
        {
            final List<PolicyConfig> registration = registration(i);
            conductor.offer(() -> registration.stream().map(p -> spd.delete(p.selector(), p.direction())).toList());
        }
        conductor.doWork();
        assertEquals(2, nftRuns(), "100 de-registrations, one transaction");
        assertEquals(0, spd.size());
        assertEquals(0, elements(), "no element left");
    }

    @Test
    void shouldReplaceAStaleTableLeftByACrashedRunOnItsFirstBatch() throws Exception
    {
        // the crashed run: registrations 0..99 in the table, never removed
        final SecurityPolicyDatabase crashedSpd = new SecurityPolicyDatabase();
        final DaemonConductor crashed = conductor(crashedSpd);
        for (int i = 0; i < REGISTRATIONS; i++)
        {
            final List<PolicyConfig> registration = registration(i);
            crashed.offer(() -> registration.stream().map(crashedSpd::add).toList());
        }
        crashed.doWork();
        assertEquals(2 * REGISTRATIONS, elements());

        // the new run knows nothing of them: its first batch (three new registrations) replaces the table
        filter = null;
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        final DaemonConductor restarted = conductor(spd);
        for (int i = 200; i < 203; i++)
        {
            final List<PolicyConfig> registration = registration(i);
            restarted.offer(() -> registration.stream().map(spd::add).toList());
        }
        restarted.doWork();
        assertEquals(6, elements(), "only the new run's elements: the stale ones are gone");
        assertEquals(2, nftRuns(), "one transaction per run's batch");
    }

    private DaemonConductor conductor(final SecurityPolicyDatabase spd)
    {
        filter = new InboundClearFilter(countingNft, tun, new int[0], log::add);
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, (type, sa) -> { });
        final DaemonHostState host = new DaemonHostState(sad, spd, counters,
            new DaemonCounters(counters.countersManager()), List.of(), null, filter, null, null, null, null, tun,
            log::add);
        return new DaemonConductor(spd, host, clock, log::add);
    }

    /** A UE's two protected in-policies (port-c and port-s of the P-CSCF, UDP), as the SIP bridge installs them. */
    private static List<PolicyConfig> registration(final int ue)
    {
        final String address = "2001:db8:9::" + Integer.toHexString(ue + 1);
        final List<PolicyConfig> policies = new ArrayList<>();
        for (final int port : new int[] { 5064, 5066 })
        {
            policies.add(XfrmPolicyParser.parseAdd("src " + address + "/128 dst 2001:db8:ff::2/128 proto udp sport " +
                "6000 dport " + port + " dir in tmpl src " + address + " dst 2001:db8:ff::2 proto esp spi " +
                (0x1000 + ue * 2 + (port == 5064 ? 0 : 1)) + " mode transport"));
        }
        return policies;
    }

    private long nftRuns() throws IOException
    {
        return Files.readAllLines(runs, StandardCharsets.US_ASCII).size();
    }

    /** @return the exact elements (every verdict set) of the table in the kernel (0 when there is no table). */
    private int elements() throws Exception
    {
        final Process process = new ProcessBuilder("nft", "list", "table", "inet", InboundClearFilter.tableName(tun))
            .redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        process.waitFor();
        final String element = " . udp . 6000 . "; // every registration's in-policies: sport 6000
        int count = 0;
        for (int at = out.indexOf(element); at >= 0; at = out.indexOf(element, at + 1))
        {
            count++;
        }
        return count;
    }
}
