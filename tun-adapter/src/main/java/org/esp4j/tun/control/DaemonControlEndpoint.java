package org.esp4j.tun.control;

import org.esp4j.tun.daemon.ControlEndpointFactory;
import org.esp4j.tun.daemon.DaemonControl;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Plugs the {@link ControlServer} into the daemon through its {@link ControlEndpointFactory} hook: the daemon's SA
 * events, acquires and policy events are subscribed into a {@link ControlEvents}; every command runs on the daemon's
 * conductor through {@link DaemonControl#apply} (the control thread waits for it, so {@code policy add} answers once
 * the inbound filter is in force); closing the endpoint unsubscribes, stops the control thread and removes the
 * socket file. Register it as a {@link java.util.ServiceLoader} service
 * ({@code META-INF/services/org.esp4j.tun.daemon.ControlEndpointFactory} naming this class), or pass an instance to
 * the daemon.
 * <p>
 * The only class of this package that knows the daemon: {@link ControlServer} itself takes the SAD, SPD, counters
 * and events, so it also runs without a daemon (tests, other embeddings).
 */
public final class DaemonControlEndpoint implements ControlEndpointFactory
{
    public AutoCloseable start(final DaemonControl control, final Path socketPath) throws IOException
    {
        final ControlEvents events = new ControlEvents();
        final AutoCloseable subscription = control.subscribe(events);
        final AutoCloseable policySubscription;
        final ControlServer server;
        try
        {
            policySubscription = control.subscribePolicyEvents(events);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(subscription);
            throw ex;
        }
        try
        {
            server = new ControlServer(socketPath, control.sad(), control.spd(), control.counters(), events)
                .commandRunner(command -> onConductor(control, command))
                .start();
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(policySubscription);
            closeQuietly(subscription);
            throw ex;
        }
        return () ->
        {
            try
            {
                policySubscription.close();
                subscription.close();
            }
            finally
            {
                server.close();
            }
        };
    }

    private static ControlCommands.Response onConductor(
        final DaemonControl control, final java.util.function.Supplier<ControlCommands.Response> command)
    {
        try
        {
            return control.apply(command);
        }
        catch (final IllegalStateException ex)
        {
            // the conductor refused or did not answer (stopping, busy): a one-line answer, the socket lives on
            return ControlCommands.Response.error(ex.getMessage());
        }
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignore)
        {
            // already failing with the start's exception
        }
    }
}
