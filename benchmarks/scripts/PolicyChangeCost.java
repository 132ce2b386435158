import org.esp4j.core.spd.*;
import org.esp4j.core.xfrm.*;
import org.esp4j.tun.routing.*;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.*;

/**
 * Where one policy change's host-state follow-up spends its time at N policies (issue 14), in process and without
 * root: the SPD preloaded from an `ip xfrm` preload file (e.g. the P-CSCF's of benchmarks/scripts/sa-scale.sh, kept
 * with KEEP_LOGS=1), then ROUNDS policy adds, each followed by what DaemonHostState.syncPolicies runs: the SPD's
 * list, the inbound filter's diff (against an `nft` that reads its script and does nothing, so the nft process's
 * start is in the figure but not the kernel's work), the fragment guard's selectors and the steering prefixes.
 * Mean of the second half of the rounds.
 *
 *   java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
 *     -Xmx256m -XX:+UseSerialGC -cp cli/target/esp4j.jar benchmarks/scripts/PolicyChangeCost.java PRELOAD ROUNDS
 */
public class PolicyChangeCost {
    public static void main(String[] a) throws Exception {
        XfrmPreload preload = XfrmPreloadReader.read(Path.of(a[0]));
        SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        for (PolicyConfig p : preload.policies()) spd.add(p);
        Class<?> hs = Class.forName("org.esp4j.tun.daemon.DaemonHostState");
        Method steer = hs.getDeclaredMethod("steeringPrefixes", Collection.class, List.class); steer.setAccessible(true);
        Class<?> fg = Class.forName("org.esp4j.tun.daemon.FragmentGuard");
        Method guard = fg.getDeclaredMethod("guardedSelectors", SecurityPolicyDatabase.class); guard.setAccessible(true);
        Path fakeNft = java.nio.file.Files.createTempFile("esp4j-fake-nft", ".sh");
        java.nio.file.Files.writeString(fakeNft, "#!/bin/sh\ncat > /dev/null\n");
        fakeNft.toFile().setExecutable(true);
        fakeNft.toFile().deleteOnExit();
        InboundClearFilter filter = new InboundClearFilter(new NftCommand(fakeNft.toString()), "cost", new int[0], s -> { });
        filter.sync(spd.list());
        Collection<SteeringPrefix> configured = List.of(SteeringPrefix.parse("2001:db8:5d::/64"));
        Class<?> pv = Class.forName("org.esp4j.tun.daemon.PolicyHostView");
        java.lang.reflect.Constructor<?> newView = pv.getDeclaredConstructor(Collection.class); newView.setAccessible(true);
        Object view = newView.newInstance(configured);
        Method follow = pv.getDeclaredMethod("follow", SecurityPolicyDatabase.class); follow.setAccessible(true);
        Method viewGuard = pv.getDeclaredMethod("guardedSelectors"); viewGuard.setAccessible(true);
        Method viewApplied = pv.getDeclaredMethod("steeringApplied"); viewApplied.setAccessible(true);
        Method changedPolicies = pv.getDeclaredMethod("changedPolicies"); changedPolicies.setAccessible(true);
        Method changedAdded = pv.getDeclaredMethod("changedAdded"); changedAdded.setAccessible(true);
        follow.invoke(view, spd); viewApplied.invoke(view);
        InboundClearFilter incremental = new InboundClearFilter(new NftCommand(fakeNft.toString()), "cost", new int[0], s -> { });
        incremental.sync(spd.list());
        int elementChanges = 0;
        long[] tl = new long[7]; int rounds = Integer.parseInt(a[1]);
        for (int i = 0; i < rounds; i++) {
            PolicyConfig p = XfrmPolicyParser.parseAdd("src 2001:db8:5e::" + Integer.toHexString(i + 1) + "/128 dst 2001:db8:5c::2/128 proto udp sport 5100 dport 5063 dir in tmpl src 2001:db8:5e::" + Integer.toHexString(i + 1) + " dst 2001:db8:5c::2 proto esp mode transport");
            spd.add(p);
            long t0 = System.nanoTime(); List<SecurityPolicy> l = spd.list();
            long t1 = System.nanoTime(); filter.sync(l);
            long t2 = System.nanoTime(); guard.invoke(null, spd);
            long t3 = System.nanoTime(); steer.invoke(null, configured, l);
            long t4 = System.nanoTime(); follow.invoke(view, spd);
            @SuppressWarnings("unchecked") boolean changed = incremental.change((List<SecurityPolicy>) changedPolicies.invoke(view), (List<Boolean>) changedAdded.invoke(view));
            if (!changed) incremental.sync(spd.list()); else elementChanges++;
            long t5 = System.nanoTime(); viewGuard.invoke(view); viewApplied.invoke(view);
            long t6 = System.nanoTime();
            if (i >= rounds / 2) { tl[0] += t1 - t0; tl[1] += t2 - t1; tl[2] += t3 - t2; tl[3] += t4 - t3; tl[4] += t5 - t4; tl[5] += t6 - t5; }
        }
        int n = rounds - rounds / 2;
        double before = (tl[0] + tl[1] + tl[2] + tl[3]) / 1e6 / n, after = (tl[4] + tl[5]) / 1e6 / n;
        System.out.printf("policies %d, mean of %d: WHOLE list %.2f + filter sync %.2f + guardedSelectors %.2f + steeringPrefixes %.2f = %.2f ms; " +
            "JOURNAL follow + filter change %.2f + guard/steering %.3f = %.2f ms (%d of %d rounds element by element); after/before %.3f%n",
            spd.size(), n, tl[0] / 1e6 / n, tl[1] / 1e6 / n, tl[2] / 1e6 / n, tl[3] / 1e6 / n, before,
            tl[4] / 1e6 / n, tl[5] / 1e6 / n, after, elementChanges, rounds, after / before);
    }
}
