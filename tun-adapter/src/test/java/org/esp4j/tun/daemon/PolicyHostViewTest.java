package org.esp4j.tun.daemon;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.tun.SpdSteps;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.routing.SteeringPrefix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The incremental steering prefixes and fragment-guard selectors: after every change they equal the full computation
 * ({@link DaemonHostState#steeringPrefixes}, {@link FragmentGuard#guardedSelectors}), and the steering diff names only
 * the prefixes that gained their first or lost their last policy.
 */
class PolicyHostViewTest
{
    private static final List<SteeringPrefix> CONFIGURED = List.of(SteeringPrefix.parse("2001:db8:5d::/64"));

    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final PolicyHostView view = new PolicyHostView(CONFIGURED);

    /** UE {@code ue}'s policy {@code kind}: 0/1 protected out (two port pairs), 2 protected in, 3 discard, 4 bypass. */
    private static PolicyConfig policy(final int ue, final int kind)
    {
        final String ueAddress = "2001:db8:a::" + Integer.toHexString(ue);
        final String pcscf = "2001:db8:5c::2";
        final String tmplOut = " tmpl src " + pcscf + " dst " + ueAddress + " proto esp mode transport";
        return XfrmPolicyParser.parseAdd(switch (kind)
        {
            case 0 -> "src " + pcscf + "/128 dst " + ueAddress + "/128 proto udp sport 5064 dport 5100 dir out" + tmplOut;
            case 1 -> "src " + pcscf + "/128 dst " + ueAddress + "/128 proto tcp sport 5063 dport 5101 dir out" + tmplOut;
            case 2 -> "src " + ueAddress + "/128 dst " + pcscf + "/128 proto udp sport 5101 dport 5064 dir in tmpl src " +
                ueAddress + " dst " + pcscf + " proto esp mode transport";
            case 3 -> "src " + pcscf + "/128 dst " + ueAddress + "/128 proto udp dport 9 dir out action block";
            default -> "src " + pcscf + "/128 dst " + ueAddress + "/128 proto udp dport 5060 dir out action allow";
        });
    }

    private void assertMatchesFullComputation()
    {
        assertEquals(Set.copyOf(DaemonHostState.steeringPrefixes(CONFIGURED, spd.list())), view.steering());
        assertEquals(sorted(FragmentGuard.guardedSelectors(spd)), sorted(view.guardedSelectors()));
    }

    private static List<String> sorted(final TrafficSelector[] selectors)
    {
        final List<String> texts = new ArrayList<>();
        Arrays.stream(selectors).forEach(s -> texts.add(s.toString()));
        texts.sort(null);
        return texts;
    }

    @Test
    void shouldMatchTheFullComputationAfterEveryAddDeleteAndUpdate()
    {
        assertTrue(view.follow(spd), "the first follow computes from the whole SPD");
        view.steeringApplied();
        assertMatchesFullComputation();
        final Random random = new Random(14);
        for (int i = 0; i < 600; i++)
        {
            final PolicyConfig config = policy(1 + random.nextInt(12), random.nextInt(5));
            SpdSteps.randomStep(spd, config, random);
            assertFalse(view.follow(spd), "a change is followed from the journal");
            view.steeringApplied();
            assertMatchesFullComputation();
        }
    }

    @Test
    void shouldNotSteerAUeInsideTheConfiguredPrefixOnItsOwn()
    {
        view.follow(spd);
        view.steeringApplied();
        final PolicyConfig inside = XfrmPolicyParser.parseAdd("src 2001:db8:5c::2/128 dst 2001:db8:5d::77/128 proto udp " +
            "sport 5064 dport 5100 dir out tmpl src 2001:db8:5c::2 dst 2001:db8:5d::77 proto esp mode transport");

        spd.add(inside);
        view.follow(spd);
        assertEquals(Set.of(), view.steeringAdded(), "the configured 2001:db8:5d::/64 steers it already");
        view.steeringApplied();
        spd.delete(inside.selector(), inside.direction());
        view.follow(spd);
        assertEquals(Set.of(), view.steeringRemoved());
        assertEquals(Set.copyOf(CONFIGURED), view.steering());
        assertMatchesFullComputation();
    }

    @Test
    void shouldNameOnlyPrefixesThatGainTheirFirstOrLoseTheirLastPolicy()
    {
        view.follow(spd);
        view.steeringApplied();
        final SteeringPrefix ue = SteeringPrefix.parse("2001:db8:a::1/128");

        spd.add(policy(1, 0));
        view.follow(spd);
        assertEquals(Set.of(ue), view.steeringAdded());
        assertEquals(Set.of(), view.steeringRemoved());
        view.steeringApplied();

        spd.add(policy(1, 1));
        spd.add(policy(1, 2));
        spd.add(policy(1, 4));
        view.follow(spd);
        assertEquals(Set.of(), view.steeringAdded(), "the UE's prefix is steered already; in and bypass do not steer");
        view.steeringApplied();

        spd.delete(policy(1, 0).selector(), policy(1, 0).direction());
        view.follow(spd);
        assertEquals(Set.of(), view.steeringRemoved(), "another out-policy still wants the prefix");
        view.steeringApplied();

        spd.delete(policy(1, 1).selector(), policy(1, 1).direction());
        view.follow(spd);
        assertEquals(Set.of(ue), view.steeringRemoved());
        assertEquals(Set.of(), view.steeringAdded());
        assertEquals(Set.copyOf(CONFIGURED), view.steering());
    }

    @Test
    void shouldCancelAnAddAndDeleteNotYetApplied()
    {
        view.follow(spd);
        view.steeringApplied();
        spd.add(policy(2, 0));
        spd.delete(policy(2, 0).selector(), policy(2, 0).direction());

        view.follow(spd);

        assertEquals(Set.of(), view.steeringAdded());
        assertEquals(Set.of(), view.steeringRemoved());
        assertMatchesFullComputation();
    }

    @Test
    void shouldNotResendTheGuardWhenOnlyInPoliciesChange()
    {
        view.follow(spd);
        view.guardApplied();
        view.steeringApplied();

        spd.add(policy(3, 2));
        spd.add(policy(3, 4));
        view.follow(spd);
        assertFalse(view.guardChanged());

        spd.add(policy(3, 3));
        view.follow(spd);
        assertTrue(view.guardChanged());
        assertMatchesFullComputation();
    }

    @Test
    void shouldComputeAgainAfterAFlush()
    {
        for (int ue = 1; ue <= 5; ue++)
        {
            spd.add(policy(ue, 0));
        }
        view.follow(spd);
        view.steeringApplied();
        spd.flush();
        spd.add(policy(7, 3));

        assertTrue(view.follow(spd), "a flush is not in the journal: computed again");
        assertMatchesFullComputation();
        assertTrue(view.guardChanged());
    }

    @Test
    void shouldComputeAgainWhenTheHostRefusedAChange()
    {
        view.follow(spd);
        view.steeringApplied();
        spd.add(policy(4, 0));
        assertFalse(view.follow(spd));

        view.invalidate(); // the host failed part-way: its state is unknown
        spd.add(policy(5, 1));

        assertTrue(view.follow(spd), "the retry applies the whole state");
        assertMatchesFullComputation();
        view.steeringApplied();
        spd.add(policy(6, 0));
        assertFalse(view.follow(spd));
        assertMatchesFullComputation();
    }

    @Test
    void shouldComputeAgainWhenFurtherBehindThanTheJournal()
    {
        view.follow(spd);
        view.steeringApplied();
        for (int i = 0; i <= SecurityPolicyDatabase.JOURNAL_CAPACITY; i++)
        {
            spd.add(policy(100 + i, 0));
        }

        assertTrue(view.follow(spd));
        assertMatchesFullComputation();
    }
}
