/**
 * The daemon's control interface: a Unix-domain socket that {@code esp4j xfrm ...} and {@code esp4j stat} talk to,
 * in the words and output formats of {@code ip xfrm} and {@code /proc/net/xfrm_stat}.
 * <h2>Embedding</h2>
 * <pre>{@code
 * ControlEvents events = new ControlEvents();                       // monitor fan-out, lock-free, bounded
 * SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, events);
 * EspProcessor processor = new EspProcessor(sad, spd, counters, clock, events);   // acquires, optional
 * ControlServer server = new ControlServer(socketPath, sad, spd, counters, events)
 *     .policyChangeListener(() -> resyncRoutes())                    // optional
 *     .start();                                                      // own thread "esp4j-control"
 * ...
 * server.close();                                                    // stops, closes clients, removes the socket
 * }</pre>
 * If events already go to another dispatcher, subscribe the {@link org.esp4j.tun.control.ControlEvents} to it
 * instead; {@link org.esp4j.tun.control.DaemonControlEndpoint} does exactly that for the tun-adapter daemon.
 * <h2>Classes</h2>
 * <ul>
 *     <li>{@link org.esp4j.tun.control.ControlProtocol}: the wire format (a request line, response lines, a status
 *     line).</li>
 *     <li>{@link org.esp4j.tun.control.ControlServer}: the socket, access control, threading and bounds.</li>
 *     <li>{@link org.esp4j.tun.control.ControlCommands}: the commands, independent of the socket.</li>
 *     <li>{@link org.esp4j.tun.control.ControlEvents}, {@link org.esp4j.tun.control.MonitorFormatter}: SA events
 *     to {@code ip xfrm monitor} text.</li>
 *     <li>The client and the CLI entry points ({@code esp4j xfrm}, {@code esp4j stat}) are the cli module's
 *     {@code org.esp4j.cli.control.ControlClient}.</li>
 * </ul>
 */
package org.esp4j.tun.control;
