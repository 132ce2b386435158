package org.esp4j.sip.sim;

import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.AkaKeyring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The subscribers of a UE farm ({@code esp4j sim ue --ues N}), of the P-CSCF that serves it ({@code esp4j sim pcscf
 * --ues N}) and of the daemons in front of both ({@code sip.subscribers=FILE}), indexed 0 to {@link #size()} - 1.
 * <h2>File</h2>
 * The {@link Subscriber} file format, one block of {@code key = value} lines per subscriber, each block starting
 * with its {@code impi} line (a file with one block is an ordinary subscriber file). A block may also say
 * {@code count = N}: it then stands for N subscribers derived from it (below). A file with a single block and no
 * {@code count}, or no file at all (TS 35.208 test set 1), is derived to as many subscribers as asked for.
 * <h2>Derivation of subscriber i (0-based) from a base</h2>
 * <ul>
 * <li>IMPI: the digits at the end of the base's user part (an IMSI, {@code 001010123456789}) plus i, at the same
 * width ({@code 001010123456790} for i = 1); a user part without trailing digits gets i appended. Same domain.</li>
 * <li>IMPU: {@code sip:} and the IMPI.</li>
 * <li>K and OPc: the base's, with i (32-bit big-endian) XORed into their last four bytes; SQN and AMF: the base's.</li>
 * </ul>
 * So subscriber 0 is the base itself, and a test engineer can provision the same subscribers in an HSS from the base
 * and a count. Derived subscribers are computed on demand, not stored: memory does not grow with the count.
 */
public final class SubscriberSet implements AkaKeyring
{
    /** The most subscribers a set may hold. */
    public static final int MAX_SUBSCRIBERS = 1_000_000;

    private final List<Block> blocks;
    private final int size;
    private final Map<String, Integer> explicit = new HashMap<>();

    private record Block(Subscriber base, int first, int count, boolean derived)
    {
    }

    private SubscriberSet(final List<Block> blocks)
    {
        this.blocks = blocks;
        int total = 0;
        for (final Block block : blocks)
        {
            total += block.count;
            if (!block.derived)
            {
                explicit.put(block.base.impi(), block.first);
            }
        }
        this.size = total;
    }

    /**
     * @param base  subscriber 0.
     * @param count how many.
     * @return {@code count} subscribers derived from {@code base}.
     */
    public static SubscriberSet derived(final Subscriber base, final int count)
    {
        checkCount("count", count);
        return new SubscriberSet(List.of(new Block(base, 0, count, true)));
    }

    /**
     * Read a subscriber file (format in the class comment).
     *
     * @param file  the file.
     * @param wanted how many subscribers are asked for (a single block without {@code count} is derived to this
     *               many); 0 for what the file holds.
     * @return the set, of exactly {@code wanted} subscribers when it is not 0.
     * @throws IllegalArgumentException one line naming the file (and line) at fault, never a key.
     */
    public static SubscriberSet read(final Path file, final int wanted)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(file + ": cannot read: " + ex.getClass().getSimpleName());
        }
        final List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            if (key(lines.get(i)).equals("impi"))
            {
                starts.add(i);
            }
        }
        if (starts.isEmpty())
        {
            starts.add(0);
        }
        else
        {
            starts.set(0, 0);
        }
        final List<Block> blocks = new ArrayList<>(starts.size());
        int first = 0;
        for (int b = 0; b < starts.size(); b++)
        {
            final int from = starts.get(b);
            final int to = b + 1 < starts.size() ? starts.get(b + 1) : lines.size();
            final Subscriber subscriber = Subscriber.parse(file, lines, from, to, List.of("count"));
            int count = 1;
            boolean derived = false;
            for (int i = from; i < to; i++)
            {
                if (key(lines.get(i)).equals("count"))
                {
                    count = count(file + ":" + (i + 1) + ": count", value(lines.get(i)));
                    derived = true;
                }
            }
            if (starts.size() == 1 && !derived && wanted > 1)
            {
                count = wanted;
                derived = true;
            }
            blocks.add(new Block(subscriber, first, count, derived));
            first += count;
            checkCount(file + ": subscribers", first);
        }
        final SubscriberSet set = new SubscriberSet(blocks);
        if (wanted > set.size)
        {
            throw new IllegalArgumentException(file + ": holds " + set.size + " subscribers, " + wanted +
                " asked for");
        }
        if (set.explicit.size() != blocks.stream().filter(block -> !block.derived).count())
        {
            throw new IllegalArgumentException(file + ": an impi is given twice");
        }
        return set;
    }

    /**
     * @return how many subscribers.
     */
    public int size()
    {
        return size;
    }

    /**
     * @param index 0 to {@link #size()} - 1.
     * @return that subscriber.
     */
    public Subscriber get(final int index)
    {
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("subscriber " + index + " of " + size);
        }
        for (final Block block : blocks)
        {
            if (index < block.first + block.count)
            {
                return block.derived ? derive(block.base, index - block.first) : block.base;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /**
     * @param impi a private identity.
     * @return its index, or -1 when the set does not hold it.
     */
    public int indexOf(final String impi)
    {
        if (impi == null)
        {
            return -1;
        }
        final Integer found = explicit.get(impi);
        if (found != null)
        {
            return found;
        }
        for (final Block block : blocks)
        {
            if (block.derived)
            {
                final int offset = derivedOffset(block.base, impi);
                if (offset >= 0 && offset < block.count && derive(block.base, offset).impi().equals(impi))
                {
                    return block.first + offset;
                }
            }
        }
        return -1;
    }

    public AkaAlgorithm algorithmFor(final String impi)
    {
        final int index = indexOf(impi);
        return index < 0 ? null : get(index).milenage();
    }

    /**
     * @param base  subscriber 0.
     * @param index i.
     * @return subscriber i derived from the base (class comment).
     */
    public static Subscriber derive(final Subscriber base, final int index)
    {
        if (index == 0)
        {
            return base;
        }
        final String impi = derivedUser(base, index) + "@" + domainOf(base.impi());
        return new Subscriber(impi, "sip:" + impi, base.domain(), xorIndex(base.k(), index),
            xorIndex(base.opc(), index), base.sqn(), base.amf());
    }

    public String toString()
    {
        return "SubscriberSet{" + size + " subscribers, keys hidden}";
    }

    private static String derivedUser(final Subscriber base, final int index)
    {
        final String user = userOf(base.impi());
        final int digits = trailingDigits(user);
        if (digits == 0)
        {
            return user + index;
        }
        final String prefix = user.substring(0, user.length() - digits);
        final String number = new java.math.BigInteger(user.substring(prefix.length()))
            .add(java.math.BigInteger.valueOf(index)).toString();
        return prefix + "0".repeat(Math.max(0, digits - number.length())) + number;
    }

    /** i for an IMPI derived from this base, or -1 when it cannot be one. */
    private static int derivedOffset(final Subscriber base, final String impi)
    {
        if (!domainOf(impi).equals(domainOf(base.impi())))
        {
            return -1;
        }
        final String user = userOf(impi);
        final String baseUser = userOf(base.impi());
        final int digits = trailingDigits(baseUser);
        final String prefix = baseUser.substring(0, baseUser.length() - digits);
        if (!user.startsWith(prefix) || user.length() == prefix.length() || trailingDigits(user) != user.length() -
            prefix.length() || user.length() - prefix.length() > 18)
        {
            return -1;
        }
        final long offset = Long.parseLong(user.substring(prefix.length())) -
            (digits == 0 ? 0 : Long.parseLong(baseUser.substring(prefix.length())));
        return offset < 0 || offset > MAX_SUBSCRIBERS ? -1 : (int)offset;
    }

    private static String userOf(final String impi)
    {
        final int at = impi.indexOf('@');
        return at < 0 ? impi : impi.substring(0, at);
    }

    private static String domainOf(final String impi)
    {
        final int at = impi.indexOf('@');
        return at < 0 ? "" : impi.substring(at + 1);
    }

    private static int trailingDigits(final String text)
    {
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(text.length() - 1 - digits)))
        {
            digits++;
        }
        return Math.min(digits, 18);
    }

    private static byte[] xorIndex(final byte[] key, final int index)
    {
        final byte[] derived = key.clone();
        final int last = derived.length - 1;
        derived[last - 3] ^= (byte)(index >>> 24);
        derived[last - 2] ^= (byte)(index >>> 16);
        derived[last - 1] ^= (byte)(index >>> 8);
        derived[last] ^= (byte)index;
        return derived;
    }

    private static String key(final String line)
    {
        final String stripped = line.strip();
        final int eq = stripped.indexOf('=');
        return stripped.startsWith("#") || eq < 0 ? "" : stripped.substring(0, eq).strip().toLowerCase(Locale.ROOT);
    }

    private static String value(final String line)
    {
        return line.substring(line.indexOf('=') + 1).strip();
    }

    private static int count(final String where, final String text)
    {
        try
        {
            final int count = Integer.parseInt(text);
            checkCount(where, count);
            return count;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(where + ": expected a decimal number");
        }
    }

    private static void checkCount(final String what, final long count)
    {
        if (count < 1 || count > MAX_SUBSCRIBERS)
        {
            throw new IllegalArgumentException(what + ": must be 1 to " + MAX_SUBSCRIBERS + ", got " + count);
        }
    }
}
