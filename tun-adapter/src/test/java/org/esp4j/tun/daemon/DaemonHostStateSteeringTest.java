package org.esp4j.tun.daemon;

import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.tun.routing.SteeringPrefix;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link DaemonHostState#steeringPrefixes}: a P-CSCF whose out-policies name every UE (the farm of issue 14) steers
 * them by the configured UE prefix alone, with no {@code ip rule} pair per UE.
 */
class DaemonHostStateSteeringTest
{
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();

    @Test
    void shouldSteerUesInsideTheConfiguredPrefixByThatPrefixOnly() throws UnknownHostException
    {
        final InetAddress pcscf = InetAddress.getByName("2001:db8:ff::2");
        for (int i = 1; i <= 1000; i++)
        {
            protect(pcscf, InetAddress.getByName("2001:db8:4701::" + Integer.toHexString(i)));
        }
        final List<SteeringPrefix> configured = List.of(SteeringPrefix.parse("2001:db8:4701::/64"));

        assertEquals(configured, DaemonHostState.steeringPrefixes(configured, spd.list()));
    }

    @Test
    void shouldSteerAPolicyDestinationOutsideTheConfiguredPrefix() throws UnknownHostException
    {
        final InetAddress other = InetAddress.getByName("2001:db8:9::7");
        protect(InetAddress.getByName("2001:db8:ff::2"), InetAddress.getByName("2001:db8:4701::1"));
        protect(InetAddress.getByName("2001:db8:ff::2"), other);
        final List<SteeringPrefix> configured = List.of(SteeringPrefix.parse("2001:db8:4701::/64"));

        assertEquals(List.of(configured.get(0), SteeringPrefix.host(other)),
            DaemonHostState.steeringPrefixes(configured, spd.list()));
    }

    private void protect(final InetAddress src, final InetAddress dst)
    {
        final TrafficSelector selector = TrafficSelector.builder().source(src).destination(dst)
            .protocol(IpProtocol.UDP).sourcePort(50718).destinationPort(38003).build();
        spd.add(new PolicyConfig(selector, PolicyDirection.OUT, PolicyAction.PROTECT, 1000, 0,
            List.of(new TemplateConfig(src, dst, 2821032177L, 1, false))));
    }
}
