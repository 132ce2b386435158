package org.esp4j.core.xfrm;

import java.util.List;

/**
 * Skips the command words in front of the arguments of a line in a config file: {@code ip xfrm state add},
 * {@code xfrm policy add}, {@code state add} (the {@code ip} and {@code xfrm} words are optional, so a line copied
 * from a shell script or from {@code ip xfrm state} documentation is accepted as it is).
 */
final class XfrmCommandPrefix
{
    /** The object a line adds. */
    enum Kind
    {
        STATE,
        POLICY
    }

    private XfrmCommandPrefix()
    {
    }

    /**
     * @param tokens   the line's words (not empty).
     * @param required true if {@code state add} / {@code policy add} must be there (mixed files).
     * @param only     the one kind allowed, or null for both.
     * @param location the line, for errors.
     * @return index of the first argument word, with the kind in {@link Result}.
     */
    static Result skip(final List<XfrmToken> tokens, final boolean required, final Kind only, final String location)
    {
        int i = 0;
        if (i < tokens.size() && "ip".equals(tokens.get(i).text()))
        {
            i++;
            if (i >= tokens.size() || !"xfrm".equals(tokens.get(i).text()))
            {
                throw at(tokens, i, location, "expected 'xfrm' after 'ip'");
            }
        }
        if (i < tokens.size() && "xfrm".equals(tokens.get(i).text()))
        {
            i++;
        }
        final boolean commandNeeded = required || i > 0;
        if (i < tokens.size() && ("state".equals(tokens.get(i).text()) || "policy".equals(tokens.get(i).text())))
        {
            final XfrmToken object = tokens.get(i);
            final Kind kind = "state".equals(object.text()) ? Kind.STATE : Kind.POLICY;
            if (only != null && kind != only)
            {
                throw XfrmSyntaxException.at(object, false, location,
                    "only 'state add' lines belong in an SA file");
            }
            i++;
            if (i >= tokens.size() || !"add".equals(tokens.get(i).text()))
            {
                throw at(tokens, i, location, "only '" + object.text() + " add' lines are read here");
            }
            return new Result(kind, i + 1);
        }
        if (commandNeeded)
        {
            throw at(tokens, i, location,
                only == Kind.STATE ? "expected 'state add'" : "expected 'state add' or 'policy add'");
        }
        return new Result(Kind.STATE, 0);
    }

    private static XfrmSyntaxException at(
        final List<XfrmToken> tokens, final int index, final String location, final String reason)
    {
        return index < tokens.size() ?
            XfrmSyntaxException.at(tokens.get(index), false, location, reason) :
            XfrmSyntaxException.at(tokens.get(index - 1), false, location, reason);
    }

    /**
     * @param kind  what the line adds.
     * @param from  index of its first argument word.
     */
    record Result(Kind kind, int from)
    {
    }
}
