package org.esp4j.tun.routing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs nftables' {@code nft -f -} with a script on its standard input (control plane only). Each call is bounded in
 * time like {@link IpCommand}'s.
 */
public final class NftCommand
{
    private final String executable;

    public NftCommand()
    {
        this(System.getProperty("esp4j.nft", "nft"));
    }

    /** @param executable path of {@code nft}. */
    public NftCommand(final String executable)
    {
        this.executable = executable;
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
    public IpCommand.Result run(final String script) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(executable, "-f", "-"));
        return IpCommand.runProcess(command, script);
    }

    /** Run a script and fail on a non-zero exit. */
    public IpCommand.Result check(final String script) throws IOException
    {
        return run(script).check();
    }
}
