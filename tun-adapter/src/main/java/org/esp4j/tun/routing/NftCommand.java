package org.esp4j.tun.routing;

import org.esp4j.tun.jna.LibNftables;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs an nftables script (control plane only), as {@code nft -f -} would: one transaction.
 * <p>
 * By default in this process, through libnftables ({@link LibNftables}) with one context kept for this command's
 * life, so one netlink socket: an {@code nft} child closes its socket when it exits, and the kernel makes that close
 * wait for an RCU grace period, seconds on a loaded host, after the change was already in force (the conductor stall
 * of the SIP e2e test under CPU load). With an executable named ({@link #NftCommand(String)}, or the system property
 * {@code esp4j.nft}), or where libnftables cannot be loaded, it runs that {@code nft -f -} as a child, bounded in time
 * like {@link IpCommand}'s.
 * <p>
 * Thread-safe (calls are serialized); the context is freed when this command is no longer reachable.
 */
public final class NftCommand
{
    private static final Cleaner CLEANER = Cleaner.create();
    private static final List<String> IN_PROCESS = List.of("libnftables", "-f", "-");

    private final String executable;
    private long ctx;

    /** In process through libnftables, or {@code nft} (or the {@code esp4j.nft} property's executable) as a child. */
    public NftCommand()
    {
        this(System.getProperty("esp4j.nft"), true);
    }

    /** @param executable path of {@code nft}, run as a child for each script. */
    public NftCommand(final String executable)
    {
        this(executable, false);
    }

    private NftCommand(final String executable, final boolean inProcessUnlessNamed)
    {
        final boolean inProcess = inProcessUnlessNamed && executable == null && LibNftables.unavailable() == null;
        this.executable = executable != null ? executable : "nft";
        if (inProcess)
        {
            final long context = LibNftables.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
            if (context != 0 && LibNftables.nft_ctx_buffer_output(context) == 0 &&
                LibNftables.nft_ctx_buffer_error(context) == 0)
            {
                ctx = context;
                CLEANER.register(this, () -> LibNftables.nft_ctx_free(context));
            }
            else if (context != 0)
            {
                LibNftables.nft_ctx_free(context);
            }
        }
    }

    /** @return true when scripts run in this process (libnftables), false when as {@code nft} children. */
    public boolean inProcess()
    {
        return ctx != 0;
    }

    /** @return true when {@code nft} runs here and may change the ruleset (it needs CAP_NET_ADMIN). */
    public boolean available()
    {
        try
        {
            return run("list tables\n").ok();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Run a script; never throws for a non-zero exit (see {@link IpCommand.Result#check()}). */
    public synchronized IpCommand.Result run(final String script) throws IOException
    {
        if (ctx != 0)
        {
            final int status = LibNftables.nft_run_cmd_from_buffer(ctx, script);
            final String output = LibNftables.nft_ctx_get_output_buffer(ctx);
            final String error = LibNftables.nft_ctx_get_error_buffer(ctx);
            return new IpCommand.Result(IN_PROCESS, status == 0 ? 0 : 1, output == null ? "" : output,
                error == null ? "" : error);
        }
        final List<String> command = new ArrayList<>(List.of(executable, "-f", "-"));
        return IpCommand.runProcess(command, script);
    }

    /** Run a script and fail on a non-zero exit. */
    public IpCommand.Result check(final String script) throws IOException
    {
        return run(script).check();
    }
}
