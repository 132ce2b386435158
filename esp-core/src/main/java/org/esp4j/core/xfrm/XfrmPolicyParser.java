package org.esp4j.core.xfrm;

import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the arguments of {@code ip xfrm policy add} (into a {@link PolicyConfig}) and of {@code ip xfrm policy
 * delete|get} (into an {@link XfrmPolicyId}), as ip-xfrm(8) writes them:
 * <pre>
 * [src PFX] [dst PFX] [proto PROTO [sport PORT] [dport PORT]] dir in|out|fwd [priority N] [index N]
 *     [action allow|block] [tmpl [src ADDR] [dst ADDR] proto esp [spi SPI] [reqid N] [mode transport]
 *     [level required|use]]...
 * </pre>
 * RFC 4301 §4.4.1 actions: {@code action allow} with a {@code tmpl} is PROTECT, {@code action allow} without one is
 * BYPASS, {@code action block} is DISCARD ({@code allow} is the default, as in iproute2).
 * <p>
 * Extension: {@code sport}/{@code dport} also take a range {@code LOW-HIGH} (RFC 4301 selectors are ranges; Linux
 * only has a single port). Template addresses {@code 0.0.0.0}/{@code ::} mean "any", as for the kernel.
 * {@code mark}, {@code ctx}, {@code ptype}, {@code flag}, {@code limit}, {@code if_id} and {@code offload} are refused
 * as not supported.
 */
public final class XfrmPolicyParser
{
    private static final long U32_MAX = 0xFFFF_FFFFL;

    private XfrmPolicyParser()
    {
    }

    /**
     * @param arguments the words after {@code ip xfrm policy add}.
     * @return the policy.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static PolicyConfig parseAdd(final CharSequence arguments)
    {
        return parseAdd(XfrmTokenizer.tokenize(arguments, null), 0, null);
    }

    /**
     * @param arguments  the words after {@code ip xfrm policy add}.
     * @param lineNumber line number for messages ({@code line 3: ...}).
     * @return the policy.
     * @throws XfrmSyntaxException naming the line and the word at fault.
     */
    public static PolicyConfig parseAdd(final CharSequence arguments, final int lineNumber)
    {
        final String location = "line " + lineNumber;
        return parseAdd(XfrmTokenizer.tokenize(arguments, location), 0, location);
    }

    /**
     * @param tokens   the line's words.
     * @param from     index of the first argument word.
     * @param location {@code line 3}, {@code preload.conf:3}, or null.
     * @return the policy.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static PolicyConfig parseAdd(final List<XfrmToken> tokens, final int from, final String location)
    {
        final XfrmCursor cursor = new XfrmCursor(tokens, from, location);
        final Fields fields = new Fields(cursor);
        while (cursor.hasNext())
        {
            final XfrmToken token = cursor.next();
            if (!fields.accept(token, true))
            {
                throw cursor.unexpected(token, "ip xfrm policy add");
            }
        }
        fields.requireDirection();
        final boolean block = "block".equals(fields.action);
        if (block && !fields.templates.isEmpty())
        {
            throw cursor.error(fields.firstTemplate, "action block takes no tmpl");
        }
        final PolicyAction action = block ? PolicyAction.DISCARD :
            fields.templates.isEmpty() ? PolicyAction.BYPASS : PolicyAction.PROTECT;
        final TrafficSelector selector = fields.selector.build();
        try
        {
            return new PolicyConfig(selector, fields.direction, action, fields.priority,
                fields.index == null ? 0 : fields.index, fields.templates);
        }
        catch (final IllegalArgumentException ex)
        {
            throw cursor.lineError(ex.getMessage());
        }
    }

    /**
     * @param arguments the words after {@code ip xfrm policy delete} or {@code get}.
     * @return which policy.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static XfrmPolicyId parseId(final CharSequence arguments)
    {
        return parseId(XfrmTokenizer.tokenize(arguments, null), 0, null);
    }

    /**
     * @param arguments  the words after {@code ip xfrm policy delete} or {@code get}.
     * @param lineNumber line number for messages ({@code line 3: ...}).
     * @return which policy.
     * @throws XfrmSyntaxException naming the line and the word at fault.
     */
    public static XfrmPolicyId parseId(final CharSequence arguments, final int lineNumber)
    {
        final String location = "line " + lineNumber;
        return parseId(XfrmTokenizer.tokenize(arguments, location), 0, location);
    }

    /**
     * @param tokens   the line's words.
     * @param from     index of the first argument word.
     * @param location {@code line 3} or null.
     * @return which policy.
     * @throws XfrmSyntaxException naming the word at fault.
     */
    public static XfrmPolicyId parseId(final List<XfrmToken> tokens, final int from, final String location)
    {
        final XfrmCursor cursor = new XfrmCursor(tokens, from, location);
        final Fields fields = new Fields(cursor);
        while (cursor.hasNext())
        {
            final XfrmToken token = cursor.next();
            if (!fields.accept(token, false))
            {
                throw cursor.unexpected(token, "ip xfrm policy delete|get (SELECTOR dir DIR | index INDEX dir DIR)");
            }
        }
        fields.requireDirection();
        if (fields.index != null && fields.selector.any())
        {
            throw cursor.error(fields.indexToken, "index and a selector are exclusive");
        }
        return fields.index != null ?
            new XfrmPolicyId(null, fields.direction, fields.index) :
            new XfrmPolicyId(fields.selector.build(), fields.direction, 0);
    }

    /** The fields of one policy line. */
    private static final class Fields
    {
        private final XfrmCursor cursor;
        private final XfrmSelectorParser selector;
        private final List<TemplateConfig> templates = new ArrayList<>();
        private PolicyDirection direction;
        private int priority;
        private Integer index;
        private XfrmToken indexToken;
        private String action = "allow";
        private XfrmToken firstTemplate;

        Fields(final XfrmCursor cursor)
        {
            this.cursor = cursor;
            this.selector = new XfrmSelectorParser(cursor, true);
        }

        boolean accept(final XfrmToken token, final boolean add)
        {
            if (selector.accept(token))
            {
                return true;
            }
            switch (token.text())
            {
                case "dir" ->
                {
                    cursor.once(token, "dir");
                    final XfrmToken value = cursor.value(token, "direction");
                    direction = PolicyDirection.lookup(value.text());
                    if (direction == null || !value.text().equals(direction.xfrmName()))
                    {
                        throw cursor.error(value, "invalid dir: in, out or fwd");
                    }
                }
                case "index" ->
                {
                    cursor.once(token, "index");
                    index = (int)cursor.unsigned(token, "index", U32_MAX);
                    indexToken = token;
                }
                case "priority" ->
                {
                    if (!add)
                    {
                        return false;
                    }
                    cursor.once(token, "priority");
                    priority = (int)cursor.unsigned(token, "priority", U32_MAX);
                }
                case "action" ->
                {
                    if (!add)
                    {
                        return false;
                    }
                    cursor.once(token, "action");
                    final XfrmToken value = cursor.value(token, "action");
                    if (!"allow".equals(value.text()) && !"block".equals(value.text()))
                    {
                        throw cursor.error(value, "invalid action: allow or block");
                    }
                    action = value.text();
                }
                case "tmpl" ->
                {
                    if (!add)
                    {
                        return false;
                    }
                    firstTemplate = firstTemplate == null ? token : firstTemplate;
                    templates.add(template(token));
                }
                case "mark", "ctx", "ptype", "flag", "limit", "if_id", "offload" ->
                    throw cursor.error(token, "'" + token.text() + "' is not supported");
                default ->
                {
                    return false;
                }
            }
            return true;
        }

        void requireDirection()
        {
            if (direction == null)
            {
                throw cursor.lineError("missing dir");
            }
        }

        private TemplateConfig template(final XfrmToken tmpl)
        {
            InetAddress source = null;
            InetAddress destination = null;
            XfrmToken destinationToken = null;
            long spi = TemplateConfig.ANY_SPI;
            int reqid = 0;
            boolean optional = false;
            boolean esp = false;
            final java.util.Set<String> seen = new java.util.HashSet<>();
            while (cursor.hasNext())
            {
                final XfrmToken token = cursor.next();
                final String keyword = token.text();
                switch (keyword)
                {
                    case "src", "dst", "proto", "spi", "reqid", "mode", "level" ->
                    {
                        if (!seen.add(keyword))
                        {
                            throw cursor.error(token, "duplicate tmpl " + keyword);
                        }
                    }
                    default ->
                    {
                        cursor.back();
                        if (seen.isEmpty())
                        {
                            throw cursor.error(tmpl, "missing template after 'tmpl' (proto esp ...)");
                        }
                        return finishTemplate(tmpl, source, destination, destinationToken, spi, reqid, optional, esp);
                    }
                }
                switch (keyword)
                {
                    case "src" -> source = anyIfZero(cursor.address(token, "tmpl src address"));
                    case "dst" ->
                    {
                        destinationToken = token;
                        destination = anyIfZero(cursor.address(token, "tmpl dst address"));
                    }
                    case "proto" ->
                    {
                        final XfrmToken value = cursor.value(token, "XFRM-PROTO");
                        if (!"esp".equals(value.text()))
                        {
                            throw cursor.error(value, "tmpl proto must be esp");
                        }
                        esp = true;
                    }
                    case "spi" ->
                    {
                        // spi 0 is "any SPI", as for the kernel.
                        final long value = cursor.unsigned(token, "spi", U32_MAX);
                        spi = value == 0 ? TemplateConfig.ANY_SPI : value;
                    }
                    case "reqid" -> reqid = (int)cursor.unsigned(token, "reqid", U32_MAX);
                    case "mode" ->
                    {
                        final XfrmToken value = cursor.value(token, "mode");
                        if (!"transport".equals(value.text()))
                        {
                            throw cursor.error(value, "tunnel".equals(value.text()) || "beet".equals(value.text()) ?
                                "mode " + value.text() + " is not supported: transport only" :
                                "invalid mode: transport expected");
                        }
                    }
                    default ->
                    {
                        final XfrmToken value = cursor.value(token, "level");
                        if ("use".equals(value.text()))
                        {
                            optional = true;
                        }
                        else if (!"required".equals(value.text()))
                        {
                            throw cursor.error(value, "invalid level: required or use");
                        }
                    }
                }
            }
            if (seen.isEmpty())
            {
                throw cursor.error(tmpl, "missing template after 'tmpl' (proto esp ...)");
            }
            return finishTemplate(tmpl, source, destination, destinationToken, spi, reqid, optional, esp);
        }

        private TemplateConfig finishTemplate(
            final XfrmToken tmpl,
            final InetAddress source,
            final InetAddress destination,
            final XfrmToken destinationToken,
            final long spi,
            final int reqid,
            final boolean optional,
            final boolean esp)
        {
            if (!esp)
            {
                throw cursor.error(tmpl, "missing proto esp in tmpl");
            }
            if (source != null && destination != null &&
                (source instanceof Inet4Address) != (destination instanceof Inet4Address))
            {
                throw cursor.error(destinationToken, "tmpl src and dst are of different address families");
            }
            return new TemplateConfig(source, destination, spi, reqid, optional);
        }

        private static InetAddress anyIfZero(final InetAddress address)
        {
            for (final byte b : address.getAddress())
            {
                if (b != 0)
                {
                    return address;
                }
            }
            return null;
        }
    }
}
