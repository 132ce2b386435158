package org.esp4j.cli;

/**
 * Entry point of the {@code esp4j} command line: dispatches to the sub-commands.
 */
public final class Esp4jMain
{
    private Esp4jMain()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    static int run(final String[] args)
    {
        System.err.println("usage: esp4j <command> ...");
        return 2;
    }
}
