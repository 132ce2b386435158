import org.esp4j.tun.routing.NftNamedCounter;

import java.util.Arrays;

/**
 * Times reading the inbound filter's two drop counters the way the daemon does (one netlink NFT_MSG_GETOBJ each,
 * {@link NftNamedCounter}), run by nft-scale.sh inside the daemon's namespace:
 * {@code java -cp esp4j.jar NftCounterRead.java TABLE [READS]}. Prints the median and the maximum in milliseconds
 * after 20 unmeasured reads.
 */
public final class NftCounterRead
{
    public static void main(final String[] args) throws Exception
    {
        final String table = args[0];
        final int reads = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        final NftNamedCounter counter = new NftNamedCounter();
        final long[] ns = new long[reads];
        for (int i = -20; i < reads; i++)
        {
            final long start = System.nanoTime();
            if (counter.packets(table, "tmpl_mismatch") < 0 || counter.packets(table, "pol_block") < 0)
            {
                throw new IllegalStateException("no counters in table inet " + table);
            }
            if (i >= 0)
            {
                ns[i] = System.nanoTime() - start;
            }
        }
        Arrays.sort(ns);
        System.out.printf("%.3f %.3f%n", ns[reads / 2] / 1e6, ns[reads - 1] / 1e6);
    }
}
