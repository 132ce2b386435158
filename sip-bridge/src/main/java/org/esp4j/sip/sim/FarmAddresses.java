package org.esp4j.sip.sim;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The UE farm's addresses: UE i has the (i + 1)-th address of a prefix ({@code --ue-prefix 2001:db8:1::/64} gives
 * 2001:db8:1::1, ::2, ...; an IPv4 /16 10.45.0.1, .2, ...). With {@link #add} they are put on an interface (as /128
 * or /32, IPv6 without duplicate address detection, so they are usable at once) in one {@code ip -batch} run, and
 * {@link #close} takes them off again the same way (the farm's command calls it at the end, on failure, and from
 * its shutdown hook on Ctrl-C or SIGTERM, after the UEs de-registered). The farm refuses to start when one of its addresses is already on the
 * interface (it would otherwise take away an address it did not add).
 * <p>
 * A farm sharded over processes ({@link FarmShard}) gives each process the addresses of its own UEs: indexes stay
 * those of the whole farm, and each process adds and removes only its slice.
 */
public final class FarmAddresses implements AutoCloseable
{
    private static final long IP_TIMEOUT_S = 120;

    private final InetAddress network;
    private final int prefixLength;
    private final int first;
    private final int count;
    private final String device;
    private boolean added;

    /**
     * @param prefix a prefix in CIDR notation.
     * @param count  how many UEs.
     * @param device the interface the addresses go on.
     * @throws IllegalArgumentException when the prefix is malformed or too small for the count.
     */
    public FarmAddresses(final String prefix, final int count, final String device)
    {
        this(prefix, FarmShard.whole(count), device);
    }

    /**
     * @param prefix a prefix in CIDR notation.
     * @param shard  the UEs whose addresses these are (the prefix must hold the whole farm up to the shard's end).
     * @param device the interface the addresses go on.
     * @throws IllegalArgumentException when the prefix is malformed or too small for the shard.
     */
    public FarmAddresses(final String prefix, final FarmShard shard, final String device)
    {
        final int count = shard.end();
        final int slash = prefix.indexOf('/');
        if (slash < 0)
        {
            throw new IllegalArgumentException("--ue-prefix: expected ADDRESS/LENGTH, got '" + prefix + "'");
        }
        this.network = org.esp4j.sip.util.InetAddressText.parse("--ue-prefix", prefix.substring(0, slash));
        final int bits = network.getAddress().length * 8;
        try
        {
            this.prefixLength = Integer.parseInt(prefix.substring(slash + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--ue-prefix: bad length in '" + prefix + "'");
        }
        if (prefixLength < 0 || prefixLength > bits)
        {
            throw new IllegalArgumentException("--ue-prefix: length must be 0.." + bits);
        }
        final BigInteger room = BigInteger.ONE.shiftLeft(bits - prefixLength).subtract(BigInteger.TWO);
        if (room.compareTo(BigInteger.valueOf(count)) < 0)
        {
            throw new IllegalArgumentException("--ue-prefix " + prefix + " has room for " + room.max(BigInteger.ZERO) +
                " UEs, not " + count);
        }
        this.first = shard.first();
        this.count = shard.count();
        this.device = device;
    }

    /**
     * @param index a UE's index in the whole farm (the shard's are {@link #first()} to first + count - 1).
     * @return UE i's address.
     */
    public InetAddress address(final int index)
    {
        final byte[] bytes = network.getAddress();
        final BigInteger base = new BigInteger(1, bytes).shiftRight(bytes.length * 8 - prefixLength)
            .shiftLeft(bytes.length * 8 - prefixLength);
        final byte[] value = base.add(BigInteger.valueOf(index + 1L)).toByteArray();
        final byte[] address = new byte[bytes.length];
        final int copy = Math.min(value.length, address.length);
        System.arraycopy(value, value.length - copy, address, address.length - copy, copy);
        try
        {
            return InetAddress.getByAddress(address);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return the index of the first address (a shard's first UE).
     */
    public int first()
    {
        return first;
    }

    /**
     * @return how many addresses.
     */
    public int count()
    {
        return count;
    }

    /**
     * @return the interface.
     */
    public String device()
    {
        return device;
    }

    /**
     * Add every address to the interface (one {@code ip -batch} run).
     *
     * @throws IOException when {@code ip} fails, with its first error line; what was added is removed again.
     */
    public synchronized void add() throws IOException
    {
        final java.util.Set<InetAddress> farm = new java.util.HashSet<>(count * 2);
        for (int i = first; i < first + count; i++)
        {
            farm.add(address(i));
        }
        final Process show = new ProcessBuilder("ip", "-o", "addr", "show", "dev", device).redirectErrorStream(true)
            .start();
        final String shown = new String(show.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (final String line : shown.lines().toList())
        {
            final String[] words = line.trim().split("\\s+");
            for (int i = 0; i + 1 < words.length; i++)
            {
                if ((words[i].equals("inet") || words[i].equals("inet6")) && words[i + 1].contains("/"))
                {
                    final String text = words[i + 1].substring(0, words[i + 1].indexOf('/'));
                    if (farm.contains(org.esp4j.sip.util.InetAddressText.parse("ip", text)))
                    {
                        throw new IOException(device + " already has " + text + ", an address of the farm's prefix");
                    }
                }
            }
        }
        if (shown.contains("does not exist") || shown.contains("Cannot find device"))
        {
            throw new IOException("no interface " + device + ": " + shown.strip());
        }
        added = true;
        final String error = batch("add");
        if (error != null)
        {
            close();
            throw new IOException("cannot add the farm's addresses to " + device + ": " + error);
        }
    }

    /**
     * Remove the addresses if they were added.
     */
    public synchronized void close()
    {
        if (!added)
        {
            return;
        }
        added = false;
        try
        {
            batch("del");
        }
        catch (final IOException ignore)
        {
            // best effort: the caller's check of what is left reports it
        }
    }

    /** @return the first error line of {@code ip}, or null when every line went through. */
    private String batch(final String verb) throws IOException
    {
        final boolean v6 = network instanceof Inet6Address;
        final Process ip = new ProcessBuilder("ip", "-force", "-batch", "-").redirectErrorStream(true).start();
        final StringBuilder lines = new StringBuilder(count * 48);
        for (int i = first; i < first + count; i++)
        {
            lines.append("addr ").append(verb).append(' ')
                .append(address(i).getHostAddress()).append(v6 ? "/128" : "/32").append(" dev ").append(device)
                .append(v6 && verb.equals("add") ? " nodad\n" : "\n");
        }
        try (OutputStream in = ip.getOutputStream())
        {
            in.write(lines.toString().getBytes(StandardCharsets.US_ASCII));
        }
        final String output = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try
        {
            if (!ip.waitFor(IP_TIMEOUT_S, TimeUnit.SECONDS))
            {
                ip.destroyForcibly();
                return "ip -batch did not finish within " + IP_TIMEOUT_S + " s";
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (ip.exitValue() == 0)
        {
            return null;
        }
        final String firstLine = output.strip().lines().findFirst().orElse("exit " + ip.exitValue());
        return firstLine;
    }
}
