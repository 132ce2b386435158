package org.esp4j.sip.message;

/**
 * What to do when Content-Length disagrees with the bytes that follow the header block.
 */
public enum ContentLengthPolicy
{
    /**
     * Datagram rules (RFC 3261 §18.3): extra bytes after Content-Length are discarded; fewer bytes than declared
     * is an error naming Content-Length.
     */
    STRICT,

    /**
     * Take every byte that follows as the body whatever Content-Length says; the caller compares
     * {@link SipMessage#declaredContentLength()} and {@link SipMessage#bodyLength()} and reports the difference.
     * Used for hand-edited traces.
     */
    TAKE_ALL_BYTES
}
