package org.esp4j.tun.sip;

import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaSpec;

import java.util.List;
import java.util.function.Consumer;

/**
 * The SIP bridge inside the daemon: watches the plaintext SIP that crosses the host (REGISTER and its answers) and
 * installs and removes the sec-agree SAs and policies in the daemon's own SAD and SPD, so an unmodified SIP client
 * gets IPsec.
 * <p>
 * Packet threads call {@link #onPlaintext}; a cheap filter on ports (5060 and the ports of the SAs the bridge
 * manages) keeps everything else out, and the bridge itself runs under this object's lock (SIP is control plane).
 * Nothing here throws into the packet path: errors are logged (never with keys) and counted.
 */
public final class TunSipBridge
{
    /** The unprotected SIP port the first REGISTER and the 401 use. */
    public static final int SIP_PORT = 5060;

    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;

    private final SipBridge bridge;
    private final Consumer<String> log;
    private volatile int[] watchedPorts = { SIP_PORT };
    private long errors;

    /**
     * @param role          UE or P-CSCF.
     * @param aka           the subscriber's AKA algorithm (K and OP/OPc), for IK/CK.
     * @param sad           the daemon's SAD.
     * @param spd           the daemon's SPD.
     * @param clockNs       the clock for SA lifetimes.
     * @param log           where lifecycle events are written (without keys).
     */
    public TunSipBridge(
        final Role role,
        final AkaAlgorithm aka,
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final java.util.function.LongSupplier clockNs,
        final Consumer<String> log)
    {
        this.log = log;
        final LifecycleConfig.Builder config = LifecycleConfig.builder(role).nanoClock(clockNs);
        if (aka != null)
        {
            config.akaAlgorithm(aka);
        }
        bridge = new SipBridge(config.build(), new EspCoreSaSink(sad, spd, 1000), event -> { });
    }

    /**
     * Look at a plaintext IP packet (outbound from the TUN before protection, or inbound after checking).
     *
     * @param array  packet bytes.
     * @param offset IP header start.
     * @param length packet length.
     */
    public void onPlaintext(final byte[] array, final int offset, final int length)
    {
        if (!isWatched(array, offset, length))
        {
            return;
        }
        synchronized (this)
        {
            try
            {
                report(bridge.onIpPacket(array, offset, length));
            }
            catch (final RuntimeException ex)
            {
                errors++;
                log.accept("sip-bridge: " + ex.getMessage());
            }
        }
    }

    /** Expire SA sets whose lifetime ran out; call about once a second. */
    public synchronized void poll()
    {
        try
        {
            report(bridge.expire());
        }
        catch (final RuntimeException ex)
        {
            errors++;
            log.accept("sip-bridge: " + ex.getMessage());
        }
    }

    /** @return number of messages the bridge could not handle. */
    public synchronized long errors()
    {
        return errors;
    }

    /** @return the SAs the bridge has installed. */
    public synchronized List<SaSpec> activeSas()
    {
        return bridge.activeSas();
    }

    private void report(final List<LifecycleEvent> events)
    {
        if (events.isEmpty())
        {
            return;
        }
        for (final LifecycleEvent event : events)
        {
            log.accept("sip-bridge: " + event);
        }
        final List<SaSpec> sas = bridge.activeSas();
        final int[] ports = new int[sas.size() * 2 + 1];
        ports[0] = SIP_PORT;
        int i = 1;
        for (final SaSpec sa : sas)
        {
            ports[i++] = sa.srcPort();
            ports[i++] = sa.dstPort();
        }
        watchedPorts = ports;
    }

    private boolean isWatched(final byte[] array, final int offset, final int length)
    {
        if (length < 20)
        {
            return false;
        }
        final int version = (array[offset] >> 4) & 0xF;
        final int protocol;
        final int transport;
        if (version == 4)
        {
            protocol = array[offset + 9] & 0xFF;
            transport = offset + (array[offset] & 0xF) * 4;
        }
        else if (version == 6 && length >= 44)
        {
            protocol = array[offset + 6] & 0xFF; // SIP over IPv6 extension headers is not looked for
            transport = offset + 40;
        }
        else
        {
            return false;
        }
        if ((protocol != PROTOCOL_UDP && protocol != PROTOCOL_TCP) || transport + 4 > offset + length)
        {
            return false;
        }
        final int sourcePort = readUnsignedShortBigEndian(array, transport);
        final int destinationPort = readUnsignedShortBigEndian(array, transport + 2);
        for (final int port : watchedPorts)
        {
            if (port == sourcePort || port == destinationPort)
            {
                return true;
            }
        }
        return false;
    }

    private static int readUnsignedShortBigEndian(final byte[] array, final int index)
    {
        return ((array[index] & 0xFF) << 8) | (array[index + 1] & 0xFF);
    }
}
