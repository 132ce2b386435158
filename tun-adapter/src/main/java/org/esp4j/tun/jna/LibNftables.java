package org.esp4j.tun.jna;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * libnftables, the library behind the {@code nft} command (libnftables(3)), through JNA direct mapping: the few calls
 * that run an nft script in this process, in its network namespace, on a netlink socket that the context keeps open.
 * <p>
 * Why not the {@code nft} command: each {@code nft} process closes its netlink socket when it is done, and the kernel
 * (nf_tables' {@code NETLINK_URELEASE} handler, {@code nft_rcv_nl_event}) then waits, holding the namespace's commit
 * mutex, for the deferred destruction of committed transactions, which waits for an RCU grace period. On a loaded
 * 2-CPU host a grace period took up to 10 s, and the daemon's conductor waited that long for the child to exit after
 * its change had been committed. A context made once and kept does not close its socket after each script.
 * <p>
 * A context is not thread-safe: one owner calls it (see {@code NftCommand}).
 */
public final class LibNftables
{
    /** {@code NFT_CTX_DEFAULT}: a context with its netlink socket (as {@code nft} makes). */
    public static final int NFT_CTX_DEFAULT = 0;

    private static final Throwable UNAVAILABLE;

    static
    {
        Throwable failure = null;
        try
        {
            Native.register(LibNftables.class, NativeLibrary.getInstance("nftables")); // libnftables.so.1
        }
        catch (final UnsatisfiedLinkError | RuntimeException ex)
        {
            failure = ex;
        }
        UNAVAILABLE = failure;
    }

    private LibNftables()
    {
    }

    /** @return null when the library is loaded, else why not (then no method here may be called). */
    public static Throwable unavailable()
    {
        return UNAVAILABLE;
    }

    /** @return a new context ({@code struct nft_ctx *}), 0 on failure. */
    public static native long nft_ctx_new(int flags);

    /** Free a context: closes its netlink socket (which may wait for the kernel, see above). */
    public static native void nft_ctx_free(long ctx);

    /** Keep the context's standard output in a buffer ({@link #nft_ctx_get_output_buffer}). @return 0 on success. */
    public static native int nft_ctx_buffer_output(long ctx);

    /** Keep the context's error output in a buffer ({@link #nft_ctx_get_error_buffer}). @return 0 on success. */
    public static native int nft_ctx_buffer_error(long ctx);

    /** @return what the last commands printed, and empty the buffer. */
    public static native String nft_ctx_get_output_buffer(long ctx);

    /** @return the errors the last commands printed, and empty the buffer. */
    public static native String nft_ctx_get_error_buffer(long ctx);

    /** Run an nft script (as {@code nft -f}: one transaction). @return 0 on success, -1 on failure. */
    public static native int nft_run_cmd_from_buffer(long ctx, String buffer);
}
