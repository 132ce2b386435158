package org.esp4j.tun;

import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need root (TUN, raw sockets, namespaces) skip with a reason when not root, except under {@code CI=true}
 * where they must run (and fail if they cannot).
 */
public final class RootAssumptions
{
    private RootAssumptions()
    {
    }

    public static boolean isCi()
    {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static boolean isRoot()
    {
        return "root".equals(System.getProperty("user.name"));
    }

    public static void assumeRootOrCi()
    {
        Assumptions.assumeTrue(isRoot() || isCi(),
            "needs root (TUN devices, raw sockets, network namespaces); run as root or with CI=true");
    }
}
