package org.esp4j.tun.daemon;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Hook for the control socket: an implementation registered as a {@link java.util.ServiceLoader} service
 * ({@code META-INF/services/org.esp4j.tun.daemon.ControlEndpointFactory}) is started by {@link EspDaemon#start()}
 * once the data path runs, and closed first by {@link EspDaemon#close()}. Without one, the daemon runs without a
 * control socket. An embedding program may also pass a factory to {@link EspDaemon#EspDaemon(DaemonConfig,
 * java.util.function.Consumer, ControlEndpointFactory)}.
 */
public interface ControlEndpointFactory
{
    /**
     * @param control    the running daemon.
     * @param socketPath where to listen ({@code control.socket} of the config).
     * @return the endpoint; closed at shutdown.
     */
    AutoCloseable start(DaemonControl control, Path socketPath) throws IOException;
}
