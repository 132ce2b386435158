package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.esp.UdpEncapsulation;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.MessageBatch;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.SocketMessage;
import org.esp4j.tun.jna.Sockets;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * RFC 3948 ESP-in-UDP through an ordinary UDP socket bound to the encapsulation port (4500 by default) of one
 * address family, carrying the daemon's {@code SO_MARK}. The kernel handles the UDP layer (checksums, ICMP); the
 * socket has no {@code UDP_ENCAP} option, so the kernel hands every datagram to the daemon.
 * <p>
 * Receive ({@link CarrierReceiver}, {@link #udpEncapsulated()}): what the payload is, is decided by
 * {@code UdpEncapsulation}: a NAT-keepalive (one 0xFF byte) is consumed ({@link CarrierStatus#NAT_KEEPALIVE}); a
 * datagram starting with the 4-byte non-ESP marker (IKE) is dropped ({@link CarrierStatus#NON_ESP_MARKER}: no IKE in
 * this daemon); an empty one is {@link CarrierStatus#MALFORMED}; ESP is handed on behind an IP header,
 * {@code IP header (protocol ESP) + ESP}, for {@code EspProcessor.inbound(buffer, offset, length, true)}: the header
 * carries the recvmsg source address, the {@code IPV6_PKTINFO}/{@code IP_PKTINFO} destination address, and hop
 * limit/TTL and traffic class/TOS from the control messages (the decapsulated packet keeps them). No UDP header: the
 * kernel checked the real one, and the processor is told the packet came in UDP.
 * <p>
 * Send ({@link UdpCarrierSender}): takes what an {@code EspProcessor} in carrier mode built for an ESP_IN_UDP SA
 * ({@code IP + ESP}, no UDP header) and sends the ESP to the IP destination address at the SA's peer port, from the
 * IP source address ({@code IPV6_PKTINFO}/{@code IP_PKTINFO}) and the bound port.
 * <p>
 * Trains: {@link #queue} collects consecutive ESP packets to the same peer whose payloads have one size (the last may
 * be shorter), as the segments of one TCP super-packet give, and {@link #flush} sends them with one {@code sendmsg}
 * and a {@code UDP_SEGMENT} control message (UDP GSO): the kernel cuts them into datagrams. The socket has
 * {@code UDP_GRO} on, so trains coming the other way arrive as one buffer with their segment size and
 * {@link #receive} hands them out one datagram at a time. Where the kernel refuses a train, its datagrams go one by
 * one; where it lacks the options, nothing changes but the number of system calls.
 * <p>
 * Receive batches: {@link #receive} takes up to {@link #RECEIVE_BATCH} messages per {@code recvmmsg(2)}, each into a
 * 64 KiB slot of its own (room for a GRO train; 1 MiB of native memory per carrier, resident only as far as trains
 * fill it) with its own source address and control messages, and hands them out
 * one datagram at a time, in the order the kernel queued them. Datagrams that the kernel does not coalesce (IPv4
 * with a zero checksum arrives as single datagrams, so do packets of many peers) then cost a share of one system
 * call each, not one call each. {@link #receive} answers {@link CarrierStatus#NONE} only once the batch is handed out
 * and the socket has nothing more, so a caller that reads until {@code NONE} or a full burst (and polls only then)
 * never leaves a datagram behind in the batch. With {@link #endReadAtShortBatch} on (sparse traffic), a batch that
 * the kernel did not fill (it stopped at an empty queue) ends the reading too, so a lone datagram costs one call, not
 * a second one that answers {@code EAGAIN}; one that came after it makes the next {@code poll(2)} return at once.
 * <p>
 * Checksum ({@link Ipv4UdpChecksum}): IPv4 ESP-in-UDP leaves with a zero UDP checksum ({@code SO_NO_CHECK}), as RFC
 * 3948 §2.1 says it SHOULD (ESP's ICV already protects the payload; a zero checksum also survives NATs that rewrite
 * addresses), or with the kernel's; receivers accept both, as IPv4 UDP and the RFC require. The kernel refuses UDP
 * GSO on a socket with {@code SO_NO_CHECK}, so an IPv4 train with checksum zero leaves as its datagrams in one
 * {@code sendmmsg}. {@link Ipv4UdpChecksum#AUTO} switches {@code SO_NO_CHECK} off (one {@code setsockopt}) before a
 * train of {@link #AUTO_TRAIN_SEGMENTS} or more, and on again after {@link #AUTO_QUIET_SENDS} sends in a row of lone
 * datagrams or shorter trains: bulk traffic gets UDP GSO, sparse traffic (SIP) keeps checksum zero, and a load that
 * sends trains now and then does not switch at every send. IPv6 has no zero checksum for UDP (RFC 8200 §8.1): it
 * keeps both checksum and trains.
 * <p>
 * One instance is shared by the inbound agent (receive) and the outbound agent (send, queue, flush): each direction
 * uses its own native areas, and the socket itself is thread-safe.
 */
public final class UdpEncapCarrier implements CarrierReceiver, UdpCarrierSender, AutoCloseable
{
    public static final int DEFAULT_PORT = 4500;

    /** Most datagrams per UDP GSO send (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels, 128 on newer). */
    public static final int MAX_TRAIN_SEGMENTS = 64;
    /** Most payload bytes per UDP GSO send (a UDP length field). */
    public static final int MAX_TRAIN_BYTES = 65535 - UdpHeader.LENGTH;
    /** {@link Ipv4UdpChecksum#AUTO}: the fewest datagrams of a train that leaves checksummed, as UDP GSO. */
    public static final int AUTO_TRAIN_SEGMENTS = 4;
    /** {@link Ipv4UdpChecksum#AUTO}: sends without such a train after which the checksum is zero again. */
    public static final int AUTO_QUIET_SENDS = 8;
    /** Messages per recvmmsg. */
    public static final int RECEIVE_BATCH = 16;
    /** Bytes per received message: a whole GRO train (the largest UDP payload). */
    private static final int RECEIVE_SLOT = 65536;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final int family;
    private final int port;
    private final int fd;
    /** Received messages, each in a slot of {@link #RECEIVE_SLOT} bytes with its sockaddr and control messages. */
    private final MessageBatch receiveBatch;
    private final NativeArea transmit;
    /** IPv4 with {@code SO_NO_CHECK} now: datagrams leave with checksum 0 and without UDP GSO (the kernel forbids both). */
    private boolean zeroChecksum;
    /** IPv4, {@link Ipv4UdpChecksum#AUTO}: {@link #zeroChecksum} follows the trains. */
    private final boolean autoChecksum;
    /** AUTO: sends since the last train of {@link #AUTO_TRAIN_SEGMENTS} or more. */
    private int quietSends;
    private long checksumSwitches;
    /** The {@code int} that {@code setsockopt(SO_NO_CHECK)} reads. */
    private final NativeArea option = new NativeArea(8);
    /** IPv4: the datagrams of a train, pointing into the transmit area, for one sendmmsg. */
    private final MessageBatch trainBatch;
    private final SocketMessage sendMessage = new SocketMessage();
    private final boolean gro;

    /** The train being queued: payloads back to back in {@link #transmit}, peer in {@link #sendMessage}'s name. */
    private int trainSegments;
    private int trainBytes;
    private int trainSegmentSize;
    private boolean trainClosed;
    private final byte[] trainSource = new byte[16];
    private int trainFailures;
    private int lastErrno;

    /** Messages of the last recvmmsg, and the one being handed out ({@code received} when all are). */
    private int received;
    private int current;
    /** A coalesced datagram being handed out: {@code groLength} bytes in the current slot of {@code groSize} each. */
    private int groLength;
    private int groNext;
    private int groSize;
    /** Messages of the batch the kernel filled at the last recvmmsg (to make ready again before the next). */
    private int filled;
    private long receiveSystemCalls;
    /** {@link #endReadAtShortBatch}: a batch the kernel did not fill ends the reading, with no call for EAGAIN. */
    private boolean endAtShortBatch;

    public UdpEncapCarrier(final int family, final int port, final int mark, final int capacity) throws IOException
    {
        this(family, port, mark, capacity, Ipv4UdpChecksum.ZERO);
    }

    /**
     * @param ipv4Checksum IPv4: UDP checksum 0 (RFC 3948 §2.1; trains as datagrams in one sendmmsg), the kernel's
     *                     (trains as UDP GSO), or zero but for trains. IPv6 always has a checksum.
     */
    public UdpEncapCarrier(final int family, final int port, final int mark, final int capacity,
        final Ipv4UdpChecksum ipv4Checksum) throws IOException
    {
        final boolean zeroIpv4Checksum = ipv4Checksum != Ipv4UdpChecksum.KERNEL;
        this.family = family;
        this.port = port;
        fd = Sockets.socket(family, LibC.SOCK_DGRAM, LibC.IPPROTO_UDP);
        try
        {
            if (mark != 0)
            {
                Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, mark);
            }
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, 4 * 1024 * 1024);
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, 4 * 1024 * 1024);
            if (family == LibC.AF_INET6)
            {
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVPKTINFO, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVHOPLIMIT, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVTCLASS, 1);
            }
            else
            {
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_PKTINFO, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTTL, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTOS, 1);
                // DF clear: the kernel fragments ESP-in-UDP bigger than the path (RFC 3948 leaves it to IP)
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_MTU_DISCOVER, LibC.IP_PMTUDISC_DONT);
            }
            Sockets.bind(fd, family, null, port);
            if (family != LibC.AF_INET6 && zeroIpv4Checksum)
            {
                Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_NO_CHECK, 1);
            }
        }
        catch (final IOException ex)
        {
            Sockets.closeQuietly(fd);
            throw ex;
        }
        zeroChecksum = family != LibC.AF_INET6 && zeroIpv4Checksum;
        autoChecksum = zeroChecksum && ipv4Checksum == Ipv4UdpChecksum.AUTO;
        trainBatch = zeroChecksum ? new MessageBatch(MAX_TRAIN_SEGMENTS, 8, 0) : null;
        gro = trySetInt(fd, LibC.SOL_UDP, LibC.UDP_GRO, 1);
        // a coalesced train can be up to 64 KiB whatever the largest single packet
        receiveBatch = new MessageBatch(RECEIVE_BATCH, Math.max(capacity, RECEIVE_SLOT), SocketMessage.CONTROL_CAPACITY);
        for (int i = 0; i < RECEIVE_BATCH; i++)
        {
            receiveBatch.prepareReceive(i);
        }
        transmit = new NativeArea(Math.max(capacity, 65536));
    }

    private static boolean trySetInt(final int fd, final int level, final int name, final int value)
    {
        try
        {
            Sockets.setInt(fd, level, name, value);
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public int family()
    {
        return family;
    }

    public int port()
    {
        return port;
    }

    public int fd()
    {
        return fd;
    }

    /** @return true: what {@link #receive} hands on came as the payload of an RFC 3948 UDP datagram. */
    public boolean udpEncapsulated()
    {
        return true;
    }

    /**
     * Receive one datagram and write its ESP behind an IP header ({@code IP + ESP}) at {@code buffer[offset]}.
     *
     * @return its length, {@link CarrierStatus#NONE}, a {@link CarrierStatus} code or {@code -errno}.
     */
    public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
    {
        final int headersLength = family == LibC.AF_INET6 ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH;
        if (groNext < groLength)
        {
            final int start = groNext;
            final int length = Math.min(groSize, groLength - start);
            groNext += length;
            if (length > Math.min(capacity, 65535) - headersLength)
            {
                return CarrierStatus.TRUNCATED;
            }
            return datagram(buffer, offset, headersLength, current, start, length);
        }
        groLength = 0;
        groNext = 0;
        if (++current >= received)
        {
            // a recvmmsg that filled fewer messages than it had room for stopped at an empty queue: asking again at
            // once would only answer EAGAIN, one system call on every lone datagram's path (poll reports what comes
            // later, the socket being level-triggered readable)
            final boolean drained = endAtShortBatch && received > 0 && received < RECEIVE_BATCH;
            received = 0;
            current = 0;
            if (drained)
            {
                return CarrierStatus.NONE;
            }
            final int n = receiveMessages();
            if (n <= 0)
            {
                return n;
            }
            received = n;
        }
        final int message = current;
        final int n = receiveBatch.length(message);
        if ((receiveBatch.flags(message) & LibC.MSG_TRUNC) != 0 || n > receiveBatch.slotCapacity())
        {
            return CarrierStatus.TRUNCATED;
        }
        int length = n;
        if (gro)
        {
            final int groData = receiveBatch.findControl(message, LibC.SOL_UDP, LibC.UDP_GRO);
            final int size = groData < 0 ? 0 : receiveBatch.buffer().getInt(groData, NATIVE);
            if (size > 0 && size < length)
            {
                groSize = size;
                groLength = length;
                groNext = size;
                length = size;
            }
        }
        if (length > Math.min(capacity, 65535) - headersLength)
        {
            return CarrierStatus.TRUNCATED;
        }
        return datagram(buffer, offset, headersLength, message, 0, length);
    }

    public void endReadAtShortBatch(final boolean end)
    {
        endAtShortBatch = end;
    }

    /**
     * One {@code recvmmsg} into the batch's slots (each a whole GRO train).
     *
     * @return messages received, {@link CarrierStatus#NONE} or {@code -errno}.
     */
    private int receiveMessages()
    {
        // the kernel changed only the messages it filled last time
        for (int i = 0; i < filled; i++)
        {
            receiveBatch.prepareReceive(i);
        }
        filled = 0;
        receiveSystemCalls++;
        final int n = LibC.recvmmsg(fd, receiveBatch.address(), RECEIVE_BATCH, LibC.MSG_DONTWAIT, 0L);
        if (n <= 0)
        {
            final int errno = LibC.errno();
            return n == 0 || errno == LibC.EAGAIN || errno == LibC.EINTR ? CarrierStatus.NONE : -errno;
        }
        filled = n;
        return n;
    }

    /** @return {@code recvmmsg} calls made so far (diagnostics and tests; read on the receiving thread). */
    public long receiveSystemCalls()
    {
        return receiveSystemCalls;
    }

    /**
     * Hand on the ESP datagram at {@code [start, start + length)} of message {@code message}'s slot behind an IP
     * header built from that message's source address and control messages.
     */
    private int datagram(final UnsafeBuffer buffer, final int offset, final int headersLength, final int message,
        final int start, final int length)
    {
        final UnsafeBuffer data = receiveBatch.buffer();
        final int at = receiveBatch.dataOffset(message) + start;
        switch (UdpEncapsulation.classify(data, at, length))
        {
            case UdpEncapsulation.NAT_KEEPALIVE:
                return CarrierStatus.NAT_KEEPALIVE;
            case UdpEncapsulation.NON_ESP_MARKER:
                return CarrierStatus.NON_ESP_MARKER;
            case UdpEncapsulation.EMPTY:
                return CarrierStatus.MALFORMED;
            default:
                break;
        }

        final UnsafeBuffer control = receiveBatch.buffer();
        final int name = receiveBatch.nameOffset(message);
        if (family == LibC.AF_INET6)
        {
            final int pktinfo = receiveBatch.findControl(message, LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO);
            if (pktinfo < 0)
            {
                return CarrierStatus.NO_PKTINFO;
            }
            final int hopLimitData = receiveBatch.findControl(message, LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT);
            final int tclassData = receiveBatch.findControl(message, LibC.IPPROTO_IPV6, LibC.IPV6_TCLASS);
            Ipv6Header.write(buffer, offset, tclassData < 0 ? 0 : control.getInt(tclassData, NATIVE),
                length, LibC.IPPROTO_ESP,
                hopLimitData < 0 ? 64 : control.getInt(hopLimitData, NATIVE));
            buffer.putBytes(offset + Ipv6Header.SOURCE_OFFSET, control, name + SockAddr.IN6_ADDR_OFFSET, 16);
            buffer.putBytes(offset + Ipv6Header.DESTINATION_OFFSET, control,
                pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, 16);
        }
        else
        {
            final int pktinfo = receiveBatch.findControl(message, LibC.IPPROTO_IP, LibC.IP_PKTINFO);
            if (pktinfo < 0)
            {
                return CarrierStatus.NO_PKTINFO;
            }
            final int ttlData = receiveBatch.findControl(message, LibC.IPPROTO_IP, LibC.IP_TTL);
            final int tosData = receiveBatch.findControl(message, LibC.IPPROTO_IP, LibC.IP_TOS);
            Ipv4Header.write(buffer, offset, tosData < 0 ? 0 : control.getByte(tosData),
                headersLength + length, LibC.IPPROTO_ESP, ttlData < 0 ? 64 : control.getInt(ttlData, NATIVE));
            buffer.putBytes(offset + Ipv4Header.SOURCE_OFFSET, control, name + SockAddr.IN_ADDR_OFFSET, 4);
            buffer.putBytes(offset + Ipv4Header.DESTINATION_OFFSET, control,
                pktinfo + SocketMessage.IN_PKTINFO_ADDR_OFFSET, 4);
            Ipv4Header.updateChecksum(buffer, offset);
        }
        buffer.putBytes(offset + headersLength, data, at, length);
        return headersLength + length;
    }

    /**
     * Send the ESP packet at {@code buffer[espOffset, ipOffset + length)} now, after the datagrams queued before it,
     * to the IP destination address at {@code peerPort}, from the IP source address.
     *
     * @return the ESP length sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    public int send(final UnsafeBuffer buffer, final int ipOffset, final int espOffset, final int length,
        final int peerPort)
    {
        trainFailures += sendTrain();
        final int queued = queue(buffer, ipOffset, espOffset, length, peerPort);
        if (queued < 0)
        {
            return queued;
        }
        return sendTrain() == 0 ? queued : -lastErrno;
    }

    /**
     * Queue the ESP packet at {@code buffer[espOffset, ipOffset + length)}: it joins the train being built if it goes
     * to the same peer from the same address and is no longer than the train's first datagram; otherwise the train
     * is sent first.
     *
     * @return the ESP length queued, or {@link CarrierStatus#UNSUITABLE}.
     */
    public int queue(final UnsafeBuffer buffer, final int ipOffset, final int espOffset, final int length,
        final int peerPort)
    {
        final int payloadLength = ipOffset + length - espOffset;
        if (!hasHeaderOfFamily(buffer, ipOffset, espOffset - ipOffset) || payloadLength <= 0 ||
            payloadLength > MAX_TRAIN_BYTES || peerPort <= 0 || peerPort > 0xFFFF)
        {
            return CarrierStatus.UNSUITABLE;
        }
        if (trainSegments > 0 && !continuesTrain(buffer, ipOffset, peerPort, payloadLength))
        {
            trainFailures += sendTrain();
        }
        if (trainSegments == 0)
        {
            startTrain(buffer, ipOffset, peerPort, payloadLength);
        }
        transmit.buffer().putBytes(trainBytes, buffer, espOffset, payloadLength);
        trainBytes += payloadLength;
        trainSegments++;
        trainClosed = payloadLength < trainSegmentSize;
        if (trainClosed || trainSegments == MAX_TRAIN_SEGMENTS || trainBytes + trainSegmentSize > MAX_TRAIN_BYTES)
        {
            trainFailures += sendTrain();
        }
        return payloadLength;
    }

    /**
     * Send the queued train.
     *
     * @return datagrams that could not be sent, including those of trains {@link #queue} and {@link #send} sent on
     * their own since the last call.
     */
    public int flush()
    {
        final int failed = trainFailures + sendTrain();
        trainFailures = 0;
        return failed;
    }

    /**
     * @return true if the IP header at offset is of this carrier's family and ESP follows it directly
     * ({@code headerLength} bytes on): IPv6 extension headers in front of ESP cannot go through a UDP socket.
     */
    private boolean hasHeaderOfFamily(final UnsafeBuffer buffer, final int offset, final int headerLength)
    {
        if (family == LibC.AF_INET6)
        {
            return headerLength == Ipv6Header.LENGTH && Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION;
        }
        return headerLength >= Ipv4Header.MIN_LENGTH && Ipv4Header.version(buffer, offset) == Ipv4Header.VERSION &&
            Ipv4Header.headerLength(buffer, offset) == headerLength;
    }

    /** Remember the peer (destination address and port) and our source address of a new train. */
    private void startTrain(final UnsafeBuffer buffer, final int offset, final int peerPort, final int payloadLength)
    {
        final UnsafeBuffer control = sendMessage.buffer();
        control.setMemory(SocketMessage.NAME_OFFSET, SockAddr.STORAGE_LENGTH, (byte)0);
        control.putShort(SocketMessage.NAME_OFFSET + SockAddr.FAMILY_OFFSET, (short)family, NATIVE);
        if (family == LibC.AF_INET6)
        {
            control.putBytes(SocketMessage.NAME_OFFSET + SockAddr.IN6_ADDR_OFFSET, buffer,
                offset + Ipv6Header.DESTINATION_OFFSET, 16);
            buffer.getBytes(offset + Ipv6Header.SOURCE_OFFSET, trainSource, 0, 16);
        }
        else
        {
            control.putBytes(SocketMessage.NAME_OFFSET + SockAddr.IN_ADDR_OFFSET, buffer,
                offset + Ipv4Header.DESTINATION_OFFSET, 4);
            buffer.getBytes(offset + Ipv4Header.SOURCE_OFFSET, trainSource, 0, 4);
        }
        control.putShort(SocketMessage.NAME_OFFSET + SockAddr.PORT_OFFSET, (short)peerPort, ByteOrder.BIG_ENDIAN);
        trainSegmentSize = payloadLength;
        trainBytes = 0;
        trainClosed = false;
    }

    private boolean continuesTrain(
        final UnsafeBuffer buffer, final int offset, final int peerPort, final int payloadLength)
    {
        if (trainClosed || payloadLength > trainSegmentSize || trainBytes + payloadLength > MAX_TRAIN_BYTES)
        {
            return false;
        }
        final UnsafeBuffer control = sendMessage.buffer();
        if ((control.getShort(SocketMessage.NAME_OFFSET + SockAddr.PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
            peerPort)
        {
            return false;
        }
        final boolean ipv6 = family == LibC.AF_INET6;
        final int addressLength = ipv6 ? 16 : 4;
        final int destination = offset + (ipv6 ? Ipv6Header.DESTINATION_OFFSET : Ipv4Header.DESTINATION_OFFSET);
        final int source = offset + (ipv6 ? Ipv6Header.SOURCE_OFFSET : Ipv4Header.SOURCE_OFFSET);
        final int name = SocketMessage.NAME_OFFSET + (ipv6 ? SockAddr.IN6_ADDR_OFFSET : SockAddr.IN_ADDR_OFFSET);
        for (int i = 0; i < addressLength; i++)
        {
            if (buffer.getByte(destination + i) != control.getByte(name + i) ||
                buffer.getByte(source + i) != trainSource[i])
            {
                return false;
            }
        }
        return true;
    }

    /** @return datagrams of the train that could not be sent. */
    private int sendTrain()
    {
        final int segments = trainSegments;
        if (segments == 0)
        {
            return 0;
        }
        trainSegments = 0;
        if (autoChecksum)
        {
            chooseChecksum(segments);
        }
        final int nameLength = family == LibC.AF_INET6 ? SockAddr.IN6_LENGTH : SockAddr.IN_LENGTH;
        putSourceControl();
        if (segments == 1 || !zeroChecksum)
        {
            if (segments > 1)
            {
                final int segment = sendMessage.addControl(LibC.SOL_UDP, LibC.UDP_SEGMENT, 2);
                sendMessage.buffer().putShort(segment, (short)trainSegmentSize, NATIVE);
            }
            sendMessage.prepareSend(transmit.address(0), trainBytes, nameLength);
            if (LibC.sendmsg(fd, sendMessage.address(), 0) >= 0)
            {
                return 0;
            }
            lastErrno = LibC.errno();
            if (segments == 1)
            {
                return 1;
            }
            // the kernel refused the train (no UDP GSO, or a datagram the device cannot take whole): one by one, so
            // the kernel may fragment them as it would any datagram
            putSourceControl();
        }
        else
        {
            final int failed = sendTrainDatagrams(segments, nameLength);
            if (failed >= 0)
            {
                return failed;
            }
            putSourceControl();
        }
        int failed = 0;
        for (int at = 0; at < trainBytes; at += trainSegmentSize)
        {
            sendMessage.prepareSend(transmit.address(at), Math.min(trainSegmentSize, trainBytes - at), nameLength);
            if (LibC.sendmsg(fd, sendMessage.address(), 0) < 0)
            {
                lastErrno = LibC.errno();
                failed++;
            }
        }
        return failed;
    }

    /**
     * {@link Ipv4UdpChecksum#AUTO}: checksum (and UDP GSO) for a long train, zero again after enough sends without
     * one. Where the kernel refuses the switch, the socket stays as it is, and so does the way the train leaves.
     */
    private void chooseChecksum(final int segments)
    {
        if (segments >= AUTO_TRAIN_SEGMENTS)
        {
            quietSends = 0;
            if (zeroChecksum)
            {
                setZeroChecksum(false);
            }
        }
        else if (!zeroChecksum && ++quietSends >= AUTO_QUIET_SENDS)
        {
            setZeroChecksum(true);
        }
    }

    private void setZeroChecksum(final boolean zero)
    {
        option.buffer().putInt(0, zero ? 1 : 0, NATIVE);
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_NO_CHECK, option.address(0), 4) == 0)
        {
            zeroChecksum = zero;
            checksumSwitches++;
        }
    }

    /** @return times {@link Ipv4UdpChecksum#AUTO} switched the checksum on or off (read on the sending thread). */
    public long checksumSwitches()
    {
        return checksumSwitches;
    }

    /**
     * IPv4 (zero checksum, no GSO): the train's datagrams in one {@code sendmmsg}, each message pointing at its part
     * of the transmit area.
     *
     * @return datagrams the kernel refused, or -1 if it took none (then they go one by one).
     */
    private int sendTrainDatagrams(final int segments, final int nameLength)
    {
        sendMessage.prepareSend(transmit.address(0), trainSegmentSize, nameLength);
        for (int i = 0, at = 0; i < segments; i++, at += trainSegmentSize)
        {
            trainBatch.prepareSendLike(i, transmit.address(at), Math.min(trainSegmentSize, trainBytes - at),
                sendMessage);
        }
        int start = 0;
        int failed = 0;
        while (start < segments)
        {
            final int n = LibC.sendmmsg(fd, trainBatch.address() + (long)start * MessageBatch.MMSGHDR_LENGTH,
                segments - start, 0);
            if (n > 0)
            {
                start += n;
            }
            else if (start == 0 && failed == 0)
            {
                lastErrno = LibC.errno();
                return -1;
            }
            else
            {
                lastErrno = LibC.errno();
                failed++; // the message at start was refused: skip it, the ones after it still go
                start++;
            }
        }
        return failed;
    }

    /** Our source address as IPV6_PKTINFO / IP_PKTINFO, the only control message. */
    private void putSourceControl()
    {
        sendMessage.clearControl();
        final UnsafeBuffer control = sendMessage.buffer();
        if (family == LibC.AF_INET6)
        {
            final int pktinfo = sendMessage.addControl(
                LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO, SocketMessage.IN6_PKTINFO_LENGTH);
            control.putBytes(pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, trainSource, 0, 16);
        }
        else
        {
            final int pktinfo = sendMessage.addControl(LibC.IPPROTO_IP, LibC.IP_PKTINFO, SocketMessage.IN_PKTINFO_LENGTH);
            control.putBytes(pktinfo + SocketMessage.IN_PKTINFO_SPEC_DST_OFFSET, trainSource, 0, 4);
        }
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
