package org.esp4j.tun.demo;

import java.io.PrintStream;

/**
 * The demo without root: placeholder until the in-process mode lands.
 */
final class EmbeddedDemo
{
    private EmbeddedDemo()
    {
    }

    static int run(final DemoOptions options, final PrintStream out, final PrintStream err)
    {
        err.println("esp4j demo: the in-process mode is not available yet; run as root");
        return 1;
    }
}
