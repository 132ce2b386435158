package org.esp4j.tun.control;

import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmAddresses;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.core.xfrm.XfrmPolicyId;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.core.xfrm.XfrmStateId;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.esp4j.core.xfrm.XfrmSyntaxException;
import org.esp4j.core.xfrm.XfrmToken;
import org.esp4j.core.xfrm.XfrmTokenizer;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Carries out one control request on the SAD and SPD: the {@code ip xfrm} commands and {@code stat}. Knows nothing
 * of sockets, so it runs the same in the server and in tests.
 * <pre>
 * xfrm state { add | update } ARGS            (XfrmStateParser syntax)
 * xfrm state { delete | get } [src ADDR] dst ADDR proto esp spi SPI [--keys] [-s]
 * xfrm state { list | deleteall } [src ADDR] [dst ADDR] [proto esp] [spi SPI] [reqid N] [mode transport] [--keys] [-s]
 * xfrm state flush [proto esp]
 * xfrm state count                              ("\t SAD count N", as iproute2)
 * xfrm policy { add | update } ARGS           (XfrmPolicyParser syntax)
 * xfrm policy { delete | get } { SELECTOR dir DIR | index N dir DIR }
 * xfrm policy list [dir DIR]
 * xfrm policy flush
 * xfrm policy count                             ("\t SPD IN  N OUT N FWD N", as iproute2)
 * xfrm monitor [ all | SA | expire | acquire ]...
 * stat [--sa]
 * </pre>
 * Command words may be shortened as iproute2 allows ({@code xfrm s l}, {@code xfrm po del}). Keys are printed only
 * for {@code --keys}; {@code nokeys} (iproute2's word) is accepted too. Anything not understood is refused with the
 * parser's message naming the word, and the SAD and SPD are left untouched: a request is parsed completely before
 * anything is changed.
 * <p>
 * Thread-safe as far as the SAD and SPD are; the server calls it through its {@link Runner}: in the daemon that is
 * the conductor thread, the one owner of control state, which commits the host state before the answer goes out.
 */
public final class ControlCommands
{
    /** Called after the SPD changed, e.g. the daemon's {@code policiesChanged()} to re-sync its steering rules. */
    @FunctionalInterface
    public interface PolicyChangeListener
    {
        void policiesChanged() throws Exception;
    }

    /**
     * Where a command runs: the server's own thread by default; the daemon's conductor (the one owner of control
     * state) when the server is the daemon's control socket.
     */
    @FunctionalInterface
    public interface Runner
    {
        /**
         * @param command the parsed-and-applied command, to run on the owner's thread.
         * @return its response.
         */
        Response run(java.util.function.Supplier<Response> command);
    }

    /** A command's outcome: output text, and the status (null for success). */
    public static final class Response
    {
        private final String output;
        private final String error;
        private final int monitorGroups;

        private Response(final String output, final String error, final int monitorGroups)
        {
            this.output = output;
            this.error = error;
            this.monitorGroups = monitorGroups;
        }

        static Response ok(final String output)
        {
            return new Response(output, null, 0);
        }

        /** @return a failure with this message (one line, for the client). */
        public static Response error(final String message)
        {
            return new Response("", message, 0);
        }

        static Response monitor(final int groups)
        {
            return new Response("", null, groups);
        }

        /** @return the output, lines ending with {@code \n}; empty if none. */
        public String output()
        {
            return output;
        }

        /** @return the error message, or null on success. */
        public String error()
        {
            return error;
        }

        /** @return true if the command succeeded. */
        public boolean isOk()
        {
            return error == null;
        }

        /** @return the {@link MonitorFormatter} groups to stream, or 0 if this is not {@code xfrm monitor}. */
        public int monitorGroups()
        {
            return monitorGroups;
        }
    }

    /** A refused request; the message goes to the client. */
    static final class CommandException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        CommandException(final String message)
        {
            super(message);
        }
    }

    private static final String STATE_USAGE =
        "Usage: esp4j xfrm state { add | update } ID ALGO-LIST [ mode transport ] [ reqid REQID ] " +
        "[ replay-window SIZE ] [ flag esn ] [ sel SELECTOR ] [ LIMIT-LIST ] [ encap ENCAP ]\n" +
        "       esp4j xfrm state { delete | get } ID [ --keys ] [ -s ]\n" +
        "       esp4j xfrm state { deleteall | list } [ ID ] [ mode transport ] [ reqid REQID ] [ --keys ] [ -s ]\n" +
        "       esp4j xfrm state flush [ proto esp ]\n" +
        "       esp4j xfrm state count\n" +
        "ID := [ src ADDR ] [ dst ADDR ] [ proto esp ] [ spi SPI ]\n";
    private static final String POLICY_USAGE =
        "Usage: esp4j xfrm policy { add | update } SELECTOR dir DIR [ priority PRIORITY ] [ index INDEX ] " +
        "[ action allow | block ] [ tmpl TMPL ]\n" +
        "       esp4j xfrm policy { delete | get } { SELECTOR | index INDEX } dir DIR\n" +
        "       esp4j xfrm policy list [ dir DIR ]\n" +
        "       esp4j xfrm policy flush\n" +
        "       esp4j xfrm policy count\n" +
        "DIR := in | out | fwd\n";
    private static final String MONITOR_USAGE = "Usage: esp4j xfrm monitor [ all | LISTofXFRM-OBJECTS ]\n" +
        "LISTofXFRM-OBJECTS := [ SA | policy | expire | acquire ]\n";
    private static final String XFRM_USAGE =
        "Usage: esp4j xfrm XFRM-OBJECT { COMMAND | help }\nXFRM-OBJECT := state | policy | monitor\n";

    private static final String LIST_ARGUMENTS =
        "[ src ADDR ] [ dst ADDR ] [ proto esp ] [ spi SPI ] [ reqid REQID ] [ mode transport ] [ --keys ] [ -s ]";
    private static final long U32_MAX = 0xFFFF_FFFFL;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final XfrmCounters counters;
    private final PolicyChangeListener policyChangeListener;

    /**
     * @param sad                  the SAD commands act on.
     * @param spd                  the SPD commands act on.
     * @param counters             the counters {@code stat} prints.
     * @param policyChangeListener told after every change to the SPD, or null.
     */
    public ControlCommands(
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final XfrmCounters counters,
        final PolicyChangeListener policyChangeListener)
    {
        this.sad = sad;
        this.spd = spd;
        this.counters = counters;
        this.policyChangeListener = policyChangeListener;
    }

    /**
     * @param request the request line (command words, shell-quoted).
     * @return the outcome; never throws for bad input.
     */
    public Response execute(final String request)
    {
        try
        {
            final List<XfrmToken> tokens = XfrmTokenizer.tokenize(request);
            if (tokens.isEmpty())
            {
                return Response.error("empty request: expected 'xfrm ...' or 'stat'");
            }
            final String command = tokens.get(0).text();
            return switch (command)
            {
                case "xfrm" -> xfrm(tokens);
                case "stat" -> stat(tokens);
                default -> Response.error("unknown command '" + printable(tokens.get(0)) + "': expected xfrm or stat");
            };
        }
        catch (final XfrmSyntaxException | CommandException ex)
        {
            return Response.error(ex.getMessage());
        }
        catch (final IllegalStateException | IllegalArgumentException ex)
        {
            // The SAD and SPD refuse with these (an SA or policy that exists, a config they reject).
            return Response.error(ex.getMessage());
        }
    }

    private Response xfrm(final List<XfrmToken> tokens)
    {
        if (tokens.size() < 2)
        {
            throw new CommandException("missing object: " + firstLine(XFRM_USAGE));
        }
        final String object = tokens.get(1).text();
        if (matches(object, "state"))
        {
            return state(tokens);
        }
        if (matches(object, "policy"))
        {
            return policy(tokens);
        }
        if (matches(object, "monitor"))
        {
            return monitor(tokens);
        }
        if (matches(object, "help"))
        {
            return Response.ok(XFRM_USAGE);
        }
        throw new CommandException("Object \"" + printable(tokens.get(1)) + "\" is unknown, try \"esp4j xfrm help\".");
    }

    // ---------------------------------------------------------------- state

    private Response state(final List<XfrmToken> tokens)
    {
        if (tokens.size() < 3)
        {
            return stateList(tokens, 2, false);
        }
        final String verb = tokens.get(2).text();
        final int from = 3;
        if (matches(verb, "add"))
        {
            return stateAdd(tokens, from, false);
        }
        if (matches(verb, "update"))
        {
            return stateAdd(tokens, from, true);
        }
        if (matches(verb, "allocspi"))
        {
            throw new CommandException("allocspi is not supported: choose the SPI and use 'state add'");
        }
        if (matches(verb, "delete"))
        {
            return stateDelete(tokens, from);
        }
        if (matches(verb, "deleteall") || matches(verb, "delall"))
        {
            return stateList(tokens, from, true);
        }
        if (matches(verb, "list") || matches(verb, "show") || matches(verb, "lst"))
        {
            return stateList(tokens, from, false);
        }
        if (matches(verb, "get"))
        {
            return stateGet(tokens, from);
        }
        if (matches(verb, "flush"))
        {
            return stateFlush(tokens, from);
        }
        if (matches(verb, "count"))
        {
            noMoreArguments(tokens, from, "esp4j xfrm state count");
            return Response.ok("\t SAD count " + sad.size() + "\n");
        }
        if (matches(verb, "help"))
        {
            return Response.ok(STATE_USAGE);
        }
        throw new CommandException("Command \"" + printable(tokens.get(2)) +
            "\" is unknown, try \"esp4j xfrm state help\".");
    }

    private Response stateAdd(final List<XfrmToken> tokens, final int from, final boolean update)
    {
        final SaConfig config = XfrmStateParser.parseAdd(tokens, from, null);
        try
        {
            if (update)
            {
                sad.update(config);
            }
            else
            {
                sad.add(config);
            }
        }
        catch (final RuntimeException ex)
        {
            // The SAD did not take the config: its keys are ours to wipe.
            config.zeroKeys();
            throw ex;
        }
        return Response.ok("");
    }

    private Response stateDelete(final List<XfrmToken> tokens, final int from)
    {
        final XfrmStateId id = XfrmStateParser.parseId(tokens, from, null);
        final SecurityAssociation sa = find(id);
        if (sa == null || !sad.delete(sa))
        {
            throw noSuchSa(id);
        }
        return Response.ok("");
    }

    private Response stateGet(final List<XfrmToken> tokens, final int from)
    {
        final Options options = new Options();
        final List<XfrmToken> arguments = options.extract(tokens, from);
        final XfrmStateId id = XfrmStateParser.parseId(arguments, 0, null);
        final SecurityAssociation sa = find(id);
        if (sa == null)
        {
            throw noSuchSa(id);
        }
        return Response.ok(formatState(sa, options));
    }

    private Response stateList(final List<XfrmToken> tokens, final int from, final boolean delete)
    {
        final Options options = new Options();
        final StateFilter filter = new StateFilter(options.extract(tokens, from));
        final List<SecurityAssociation> sas = new ArrayList<>();
        for (final SecurityAssociation sa : sad.list())
        {
            if (filter.matches(sa))
            {
                sas.add(sa);
            }
        }
        // Oldest first, so a listing reads in the order the SAs were set up.
        sas.sort(Comparator.comparingLong(SecurityAssociation::addTimeNs).thenComparingLong(SecurityAssociation::spi));
        if (delete)
        {
            for (final SecurityAssociation sa : sas)
            {
                sad.delete(sa);
            }
            return Response.ok("");
        }
        final StringBuilder sb = new StringBuilder(256 * sas.size() + 16);
        for (final SecurityAssociation sa : sas)
        {
            sb.append(formatState(sa, options));
        }
        return Response.ok(sb.toString());
    }

    private Response stateFlush(final List<XfrmToken> tokens, final int from)
    {
        int i = from;
        if (i < tokens.size() && "proto".equals(tokens.get(i).text()))
        {
            if (i + 1 >= tokens.size())
            {
                throw at(tokens.get(i), "missing XFRM-PROTO after 'proto'");
            }
            if (!"esp".equals(tokens.get(i + 1).text()))
            {
                throw at(tokens.get(i + 1), "\"XFRM-PROTO\" is invalid: esp only");
            }
            i += 2;
        }
        noMoreArguments(tokens, i, "esp4j xfrm state flush [ proto esp ]");
        sad.flush();
        return Response.ok("");
    }

    private SecurityAssociation find(final XfrmStateId id)
    {
        final SecurityAssociation sa = sad.get(id.spi(), id.destination());
        if (sa == null || (id.source() != null && !id.source().equals(sa.config().source())))
        {
            return null;
        }
        return sa;
    }

    private static CommandException noSuchSa(final XfrmStateId id)
    {
        return new CommandException("no such SA: " + (id.source() == null ? "" : "src " +
            XfrmAddresses.toText(id.source()) + " ") + "dst " + XfrmAddresses.toText(id.destination()) +
            " proto esp spi " + id.spiHex());
    }

    private static String formatState(final SecurityAssociation sa, final Options options)
    {
        return XfrmFormatter.formatState(sa, options.keys, options.stats ? StatFormatter.statsOf(sa) : null);
    }

    // ---------------------------------------------------------------- policy

    private Response policy(final List<XfrmToken> tokens)
    {
        if (tokens.size() < 3)
        {
            return policyList(tokens, 2);
        }
        final String verb = tokens.get(2).text();
        final int from = 3;
        if (matches(verb, "add"))
        {
            final PolicyConfig config = XfrmPolicyParser.parseAdd(tokens, from, null);
            spd.add(config);
            return policiesChanged();
        }
        if (matches(verb, "update"))
        {
            final PolicyConfig config = XfrmPolicyParser.parseAdd(tokens, from, null);
            spd.update(config);
            return policiesChanged();
        }
        if (matches(verb, "delete"))
        {
            final XfrmPolicyId id = XfrmPolicyParser.parseId(tokens, from, null);
            final SecurityPolicy policy = find(id);
            if (policy == null || !spd.delete(policy.selector(), policy.direction()))
            {
                throw noSuchPolicy(id);
            }
            return policiesChanged();
        }
        if (matches(verb, "deleteall") || matches(verb, "delall"))
        {
            throw new CommandException("deleteall is not supported for policies: use 'policy flush' or " +
                "'policy delete'");
        }
        if (matches(verb, "list") || matches(verb, "show") || matches(verb, "lst"))
        {
            return policyList(tokens, from);
        }
        if (matches(verb, "get"))
        {
            final XfrmPolicyId id = XfrmPolicyParser.parseId(tokens, from, null);
            final SecurityPolicy policy = find(id);
            if (policy == null)
            {
                throw noSuchPolicy(id);
            }
            return Response.ok(XfrmFormatter.formatPolicy(policy.config()));
        }
        if (matches(verb, "flush"))
        {
            noMoreArguments(tokens, from, "esp4j xfrm policy flush");
            spd.flush();
            return policiesChanged();
        }
        if (matches(verb, "count"))
        {
            noMoreArguments(tokens, from, "esp4j xfrm policy count");
            return Response.ok("\t SPD IN  " + spd.size(PolicyDirection.IN) + " OUT " + spd.size(PolicyDirection.OUT) +
                " FWD " + spd.size(PolicyDirection.FWD) + "\n");
        }
        if (matches(verb, "help"))
        {
            return Response.ok(POLICY_USAGE);
        }
        throw new CommandException("Command \"" + printable(tokens.get(2)) +
            "\" is unknown, try \"esp4j xfrm policy help\".");
    }

    private Response policyList(final List<XfrmToken> tokens, final int from)
    {
        PolicyDirection direction = null;
        int i = from;
        while (i < tokens.size())
        {
            final XfrmToken token = tokens.get(i);
            if ("dir".equals(token.text()) && direction == null)
            {
                if (i + 1 >= tokens.size())
                {
                    throw at(token, "missing DIR after 'dir'");
                }
                direction = PolicyDirection.lookup(tokens.get(i + 1).text());
                if (direction == null)
                {
                    throw at(tokens.get(i + 1), "\"DIR\" is invalid: in, out or fwd");
                }
                i += 2;
            }
            else if ("nokeys".equals(token.text()) || "--keys".equals(token.text()))
            {
                // Policies hold no keys; accepted so the same options work for state and policy.
                i++;
            }
            else
            {
                throw at(token, "unexpected argument: esp4j xfrm policy list [ dir DIR ]");
            }
        }
        final StringBuilder sb = new StringBuilder(160 * spd.size() + 16);
        for (final SecurityPolicy policy : spd.list())
        {
            if (direction == null || policy.direction() == direction)
            {
                sb.append(XfrmFormatter.formatPolicy(policy.config()));
            }
        }
        return Response.ok(sb.toString());
    }

    private SecurityPolicy find(final XfrmPolicyId id)
    {
        if (!id.byIndex())
        {
            return spd.find(id.selector(), id.direction());
        }
        for (final SecurityPolicy policy : spd.list())
        {
            if (policy.index() == id.index() && policy.direction() == id.direction())
            {
                return policy;
            }
        }
        return null;
    }

    private static CommandException noSuchPolicy(final XfrmPolicyId id)
    {
        return new CommandException("no such policy: " + (id.byIndex() ?
            "index " + Integer.toUnsignedString(id.index()) : id.selector().toString()) +
            " dir " + id.direction().xfrmName());
    }

    private Response policiesChanged()
    {
        if (policyChangeListener != null)
        {
            try
            {
                policyChangeListener.policiesChanged();
            }
            catch (final Exception ex)
            {
                // The SPD did change; only the daemon's follow-up failed (it re-syncs on its own): say so, still ok.
                return Response.ok("warning: policy changed, but re-syncing the steering rules failed: " + ex + "\n");
            }
        }
        return Response.ok("");
    }

    // ---------------------------------------------------------------- monitor, stat

    private Response monitor(final List<XfrmToken> tokens)
    {
        int groups = 0;
        for (int i = 2; i < tokens.size(); i++)
        {
            final XfrmToken token = tokens.get(i);
            final String word = token.text();
            if (matches(word, "all"))
            {
                groups |= MonitorFormatter.ALL;
            }
            else if (matches(word, "acquire"))
            {
                groups |= MonitorFormatter.ACQUIRE;
            }
            else if (matches(word, "expire"))
            {
                groups |= MonitorFormatter.EXPIRE;
            }
            else if (matches(word, "SA"))
            {
                groups |= MonitorFormatter.SA;
            }
            else if (matches(word, "help"))
            {
                return Response.ok(MONITOR_USAGE);
            }
            else if (matches(word, "policy"))
            {
                groups |= MonitorFormatter.POLICY;
            }
            else if (matches(word, "aevent") || matches(word, "report") || matches(word, "file"))
            {
                throw at(token, "not supported by esp4j: monitor SA, policy, expire or acquire");
            }
            else
            {
                throw new CommandException("Argument \"" + printable(token) +
                    "\" is unknown, try \"esp4j xfrm monitor help\".");
            }
        }
        return Response.monitor(groups == 0 ? MonitorFormatter.ALL : groups);
    }

    private Response stat(final List<XfrmToken> tokens)
    {
        boolean perSa = false;
        for (int i = 1; i < tokens.size(); i++)
        {
            final XfrmToken token = tokens.get(i);
            if ("--sa".equals(token.text()) && !perSa)
            {
                perSa = true;
            }
            else
            {
                throw at(token, "unexpected argument: esp4j stat [ --sa ]");
            }
        }
        final StringBuilder sb = new StringBuilder(StatFormatter.global(counters));
        if (perSa)
        {
            final List<SecurityAssociation> sas = sad.list();
            sas.sort(Comparator.comparingLong(SecurityAssociation::addTimeNs)
                .thenComparingLong(SecurityAssociation::spi));
            sb.append('\n').append(StatFormatter.perSa(sas));
        }
        return Response.ok(sb.toString());
    }

    // ---------------------------------------------------------------- helpers

    /** iproute2's {@code matches()}: the word typed is a non-empty prefix of the keyword. */
    public static boolean matches(final String typed, final String keyword)
    {
        return !typed.isEmpty() && keyword.startsWith(typed);
    }

    private static void noMoreArguments(final List<XfrmToken> tokens, final int from, final String usage)
    {
        if (from < tokens.size())
        {
            throw at(tokens.get(from), "unexpected argument: " + usage);
        }
    }

    private static CommandException at(final XfrmToken token, final String reason)
    {
        return new CommandException("token " + token.index() + " '" + printable(token) + "': " + reason);
    }

    /** A word as it is safe to echo: anything that looks like a key is not (same rule as the xfrm parsers). */
    private static String printable(final XfrmToken token)
    {
        final String text = token.text();
        if (text.length() > 10 && (text.startsWith("0x") || text.startsWith("0X")))
        {
            return XfrmSyntaxException.REDACTED_KEY;
        }
        return text.length() > 64 ? text.substring(0, 64) + "..." : text;
    }

    private static String firstLine(final String text)
    {
        final int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    /** {@code --keys}, {@code nokeys}, {@code -s}: taken out of the words wherever they stand. */
    private static final class Options
    {
        private boolean keys;
        private boolean stats;

        List<XfrmToken> extract(final List<XfrmToken> tokens, final int from)
        {
            final List<XfrmToken> rest = new ArrayList<>();
            for (int i = from; i < tokens.size(); i++)
            {
                final XfrmToken token = tokens.get(i);
                switch (token.text())
                {
                    case "--keys" -> keys = true;
                    case "nokeys" -> keys = false;
                    case "-s", "--stats", "-stats" -> stats = true;
                    default -> rest.add(token);
                }
            }
            return rest;
        }
    }

    /** The ID and filters of {@code ip xfrm state list|deleteall}. */
    private static final class StateFilter
    {
        private InetAddress source;
        private InetAddress destination;
        private long spi = -1;
        private long reqid = -1;

        StateFilter(final List<XfrmToken> arguments)
        {
            int i = 0;
            while (i < arguments.size())
            {
                final XfrmToken token = arguments.get(i);
                final XfrmToken value = i + 1 < arguments.size() ? arguments.get(i + 1) : null;
                if (value == null)
                {
                    throw at(token, isKeyword(token.text()) ? "missing value after '" + token.text() + "'" :
                        "unexpected argument: " + LIST_ARGUMENTS);
                }
                switch (token.text())
                {
                    case "src" -> source = address(value);
                    case "dst" -> destination = address(value);
                    case "proto" ->
                    {
                        if (!"esp".equals(value.text()))
                        {
                            throw at(value, "\"XFRM-PROTO\" is invalid: esp only");
                        }
                    }
                    case "mode" ->
                    {
                        if (!SaConfig.MODE_TRANSPORT.equals(value.text()))
                        {
                            throw at(value, "invalid mode: transport only");
                        }
                    }
                    case "spi" -> spi = unsigned(value, "SPI");
                    case "reqid" -> reqid = unsigned(value, "REQID");
                    default -> throw at(token, "unexpected argument: " + LIST_ARGUMENTS);
                }
                i += 2;
            }
        }

        boolean matches(final SecurityAssociation sa)
        {
            final SaConfig config = sa.config();
            return (source == null || source.equals(config.source())) &&
                (destination == null || destination.equals(config.destination())) &&
                (spi < 0 || spi == sa.spi()) &&
                (reqid < 0 || reqid == Integer.toUnsignedLong(config.reqid()));
        }

        private static boolean isKeyword(final String word)
        {
            return switch (word)
            {
                case "src", "dst", "proto", "mode", "spi", "reqid" -> true;
                default -> false;
            };
        }

        private static InetAddress address(final XfrmToken token)
        {
            final InetAddress address = XfrmAddresses.parse(token.text());
            if (address == null)
            {
                throw at(token, "invalid address: a numeric IPv4 or IPv6 address");
            }
            return address;
        }

        /** As iproute2's {@code get_u32(.., 0)}: decimal, 0x hex or 0 octal. */
        private static long unsigned(final XfrmToken token, final String what)
        {
            final String text = token.text();
            final int radix;
            final String digits;
            if (text.length() > 2 && (text.startsWith("0x") || text.startsWith("0X")))
            {
                radix = 16;
                digits = text.substring(2);
            }
            else if (text.length() > 1 && text.startsWith("0"))
            {
                radix = 8;
                digits = text.substring(1);
            }
            else
            {
                radix = 10;
                digits = text;
            }
            try
            {
                if (digits.isEmpty() || digits.charAt(0) == '+' || digits.charAt(0) == '-')
                {
                    throw new NumberFormatException();
                }
                final long value = Long.parseLong(digits, radix);
                if (value > U32_MAX)
                {
                    throw new NumberFormatException();
                }
                return value;
            }
            catch (final NumberFormatException ex)
            {
                throw at(token, "\"" + what + "\" is invalid: an unsigned 32-bit number");
            }
        }
    }
}
